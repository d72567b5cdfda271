package shm

import (
	"context"
	"sync/atomic"
)

// HoldAllocLock takes s's allocator lock and never lets go: the child role
// of TestAllocLockHolderKilled, killed while it holds it.
func HoldAllocLock(ctx context.Context, s *Segment) error { return s.lockAlloc(ctx) }

// ForgeAllocLock writes w into s's allocator lock word, as a process that
// took it and vanished would have left it.
func ForgeAllocLock(s *Segment, w uint64) { atomic.StoreUint64(&hdr(s.mm).AllocLock.Word, w) }
