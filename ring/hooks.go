package ring

// Test hooks (see export_test.go): nil outside tests, one predictable
// branch on the hot path.
var hookAfterClaim, hookAfterTake func()

// hookConnReserved runs in Conn.SendBytes between filling the reserved
// record and committing it, with the send side's lock held.
var hookConnReserved func()
