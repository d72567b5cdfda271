package ring

import "time"

// SetQuietSlice sets the longest futex sleep of a quiet wait until restore.
func SetQuietSlice(d time.Duration) (restore func()) {
	old := quietSlice.Swap(int64(d))
	return func() { quietSlice.Store(old) }
}

// SetTestHooks installs functions run by MPMC puts right after claiming
// their slots (before committing them), and by gets right after taking a
// message (before freeing it), and by Ring producers after reserving; tests
// use them to kill a process at exactly those points.
func SetTestHooks(afterClaim, afterTake func()) {
	hookAfterClaim, hookAfterTake = afterClaim, afterTake
}

// SetConnSendHook installs a function run by Conn.SendBytes (and Send)
// between filling its record and committing it, the send lock held.
func SetConnSendHook(f func()) { hookConnReserved = f }

// SetPendingTTL sets how long a marshaled Conn holds its end until
// restore.
func SetPendingTTL(d time.Duration) (restore func()) {
	old := pendingTTL.Swap(int64(d))
	return func() { pendingTTL.Store(old) }
}
