package sync_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

var failsWith = process.Register("sync.test.failswith", func(ctx context.Context, which int) (struct{}, error) {
	errs := []error{sync.ErrOwnerDead, ring.ErrPeerDead, shm.ErrWrongKind, sync.ErrBrokenBarrier}
	return struct{}{}, fmt.Errorf("in the child: %w", errs[which])
})

// The lower packages' sentinels keep their identity across processes: a
// child's task error wrapping one is errors.Is it in the parent.
func TestSentinelsCrossProcesses(t *testing.T) {
	ctx := testutil.Context(t)
	for i, want := range []error{sync.ErrOwnerDead, ring.ErrPeerDead, shm.ErrWrongKind, sync.ErrBrokenBarrier} {
		_, err := process.Run(ctx, failsWith, i)
		if !errors.Is(err, want) {
			t.Errorf("child's %v arrived as %v", want, err)
		}
	}
}
