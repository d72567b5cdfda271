package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	shmsync "github.com/shmkit/shmkit/sync"
)

// lock: a shared counter guarded by a sync.Mutex in shared memory. Mode
// "contended": 2 worker processes each lock, increment and unlock Ops/2
// times; mode "uncontended": one process does it alone (the cost of an
// uncontended Lock/Unlock pair). The counter is a plain word, read and
// written only under the lock, so a lock that ever let two holders in
// loses increments: the final count must be exactly Ops. CPython's side:
// mp.Lock() guarding an mp.RawValue, the same way.

const lockProcs = 2

var lockScenario = Scenario{
	Name:       "lock",
	Doc:        "lock, increment a shared counter, unlock: 2 processes (contended) or 1 (uncontended)",
	Kind:       Throughput,
	Baselines:  []string{cpythonMP},
	BaselineOf: sameMode,
	RatioDoc:   "its operations/s over CPython's (mp.Lock guarding an mp.RawValue) in the same mode; higher is better",
	Transports: []string{"shm-mutex", cpythonMP},
	Cases:      lockCases,
	Run:        runLock,
}

// sameMode: each mode is compared with CPython in the same mode.
func sameMode(r, b Result) bool { return r.Mode == b.Mode }

func lockCases(cfg Config) []Case {
	goOps, pyOps := 10_000_000, 1_000_000
	if cfg.Quick {
		goOps, pyOps = 2_000_000, 200_000
	}
	var out []Case
	for _, m := range []string{"contended", "uncontended"} {
		out = append(out,
			Case{Scenario: "lock", Transport: "shm-mutex", Mode: m, Ops: goOps, Timeout: caseTimeout(cfg)},
			Case{Scenario: "lock", Transport: cpythonMP, Mode: m, Ops: pyOps, Timeout: caseTimeout(cfg)})
	}
	return out
}

type lockArg struct {
	Mu      *shmsync.Mutex
	Counter []byte // handle of the counter's object
	Ctl     []byte
	N       int
	Skip    int  // test hook: skip increment number Skip-1
	Hang    bool // test hook: never finish
}

var lockTask = process.Register("shmkit/bench.lock", func(ctx context.Context, a lockArg) (int, error) {
	p, err := attachCounter(a.Counter)
	if err != nil {
		return 0, err
	}
	finish, err := crewJoin(ctx, a.Ctl, a.Hang)
	if err != nil {
		return 0, err
	}
	if err := lockLoop(ctx, a.Mu, p, a.N, a.Skip); err != nil {
		return 0, err
	}
	if err := finish(); err != nil {
		return 0, err
	}
	return a.N, nil
})

// lockLoop locks, increments *p and unlocks n times (skipping number
// skip-1, the test hook).
func lockLoop(ctx context.Context, mu *shmsync.Mutex, p *uint64, n, skip int) error {
	for i := range n {
		if err := mu.Lock(ctx); err != nil {
			return err
		}
		if i != skip-1 {
			*p++ // a plain increment: only the lock keeps it whole
		}
		if err := mu.Unlock(); err != nil {
			return err
		}
	}
	return nil
}

// newCounter allocates a zeroed 8-byte counter on its own cache lines.
func newCounter(seg *shm.Segment, name string) (*uint64, []byte, error) {
	obj, err := seg.Alloc(name, shm.CacheLinePad, shm.CacheLinePad)
	if err != nil {
		return nil, nil, err
	}
	h, err := obj.Handle().MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	return (*uint64)(unsafe.Pointer(&obj.Bytes()[0])), h, nil
}

// attachCounter finds a counter sent as its handle.
func attachCounter(hb []byte) (*uint64, error) {
	var h shm.Handle
	if err := h.UnmarshalBinary(hb); err != nil {
		return nil, fmt.Errorf("counter handle: %w", err)
	}
	obj, err := shm.Attach(h, shm.KindBytes, 0)
	if err != nil {
		return nil, fmt.Errorf("attaching counter: %w", err)
	}
	b := obj.Bytes()
	if len(b) < 8 || uintptr(unsafe.Pointer(&b[0]))%8 != 0 {
		return nil, fmt.Errorf("counter of %d bytes: %w", len(b), shm.ErrCorrupt)
	}
	return (*uint64)(unsafe.Pointer(&b[0])), nil
}

func runLock(ctx context.Context, c Case) Result {
	c.Ops = max(c.Ops, lockProcs)
	r := resultFor(c)
	seg, err := shm.Anonymous(64<<10, nil)
	if err != nil {
		return r.failed(err)
	}
	defer seg.Close()
	mu, err := shmsync.NewMutex(seg, "bench-lock")
	if err != nil {
		return r.failed(err)
	}
	p, ph, err := newCounter(seg, "bench-counter")
	if err != nil {
		return r.failed(err)
	}
	var d time.Duration
	switch c.Mode {
	case "uncontended":
		t := time.Now()
		err = lockLoop(ctx, mu, p, c.Ops, c.hooks.Corrupt)
		d = time.Since(t)
	case "contended":
		ctl, release, err2 := crewCtl()
		if err2 != nil {
			return r.failed(err2)
		}
		defer release()
		args := make([]lockArg, lockProcs)
		for i := range args {
			args[i] = lockArg{Mu: mu, Counter: ph, Ctl: ctl.handle(), N: splitOps(c.Ops, lockProcs, i)}
		}
		args[0].Skip, args[1].Hang = c.hooks.Corrupt, c.hooks.Hang
		d, _, err = runCrew(ctx, c, ctl, lockTask, args)
	default:
		err = fmt.Errorf("unknown mode %q", c.Mode)
	}
	if err != nil {
		return r.failed(err)
	}
	if got := atomic.LoadUint64(p); got != uint64(c.Ops) {
		return r.failed(errCount("the counter", int64(got), int64(c.Ops)))
	}
	throughput(&r, c.Ops, 0, d)
	return r
}
