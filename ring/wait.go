package ring

import (
	"context"
	"math"
	"runtime"
	"structs"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/internal/kernel"
)

// waitLine is the futex pair one side sleeps on and the other side wakes,
// alone on its 128 bytes: it is written only when someone goes to sleep or
// is woken, so the waker's per-message check of armed reads a line that
// stays shared in both caches and costs no coherence traffic.
//
// Protocol (Dekker-style, every access sequentially consistent):
//
//	sleeper: armed = 1 ; s := seq ; if ready() { return } ; futex_wait(&seq, s)
//	waker:   publish (the position store) ;
//	         if armed != 0 && swap(armed, 0) != 0 { seq++ ; futex_wake_all(&seq) }
//
// Either the waker's load of armed sees the sleeper's store, or the
// sleeper's ready() check (which follows it) sees the published position —
// when the publication is sequentially consistent. It is a release store on
// amd64 (see publish), which the waker's load may overtake; the sleeper's
// first futex sleep is therefore short (firstSleep), so such a lost wake
// costs at most 50 µs, and only in that nanosecond-wide race. If the waker
// bumps seq between the sleeper's load of seq and its futex_wait, the
// kernel finds seq changed and returns at once.
//
// armed is a flag, not a count: the first waker after a sleeper armed it
// clears it and wakes everyone, and later wakers skip the syscall until a
// sleeper arms it again. (A counter decremented by the sleeper on waking
// made the waker issue a futex wake for every message it published while
// the sleeper was still being scheduled.) The obvious-but-wrong version,
// checking ready() before arming, loses wakes. A sleeper killed while
// asleep costs the next waker one wasted wake.
type waitLine struct {
	_     structs.HostLayout
	seq   atomic.Uint32
	armed atomic.Uint32
	_     [lineSize - 8]byte
}

// wake wakes every sleeper, if one armed the line. It reports whether it
// woke.
func (w *waitLine) wake() bool {
	if w.armed.Load() == 0 || w.armed.Swap(0) == 0 { // pairs with the sleeper's armed.Store
		return false
	}
	w.wakeAll()
	return true
}

func (w *waitLine) wakeAll() {
	w.seq.Add(1)
	kernel.FutexWake(w.word(), math.MaxInt32) //nolint:errcheck // a failed wake leaves sleepers to their timeout slice
}

// waitCond is what a wait waits for. ready reports whether the wait is over
// (or has failed); stuck is called after every futex timeout slice and every
// so often while spinning, to look for dead peers; it may return an error
// that ends the wait.
type waitCond interface {
	ready() (bool, error)
	stuck() error
}

// quietCond marks a waitCond that sleeps in long slices, woken by its
// peer, by Close or by its context's end (see sleep): slice returns the
// longest sleep, read before each one. The SPSC sides and Join are quiet;
// the MPMC waits are not (they look for dead peers between 5 ms sleeps).
// An SPSC side whose peer is another process (or not yet known) sleeps
// peerSlice, so that its stuck looks at that process's liveness often
// enough; Join, and a side whose peer is this process, has nothing to look
// for and sleeps quietSlice.
type quietCond interface {
	waitCond
	slice() time.Duration
}

// Spin budget bounds, per side: the adaptive spin grows after waits that
// ended while spinning and shrinks after waits that had to sleep.
const (
	spinMin     = 2 * time.Microsecond
	spinMax     = 100 * time.Microsecond
	spinInitial = 20 * time.Microsecond
	// sleepSlice bounds one futex sleep, so that dead peers are looked
	// for at least that often.
	sleepSlice = 5 * time.Millisecond
	// firstSleep bounds the first futex sleep of a wait (see sleep).
	firstSleep = 50 * time.Microsecond
	// fastSpins: checks before the first clock read.
	fastSpins = 256
	// stuckEvery: how often a spin-mode wait looks for dead peers.
	stuckEvery = 2 * time.Millisecond
)

// quietSlice bounds one futex sleep of a quiet wait with no peer to look
// for (a variable for tests). It is only a safety net: its peer, Close and
// the context's end wake such a wait. Short slices cost more than their
// syscalls: when every P of this process is in a syscall, the runtime's
// sysmon takes the sleeper's P back within 20 µs and then polls every
// 20 µs for a millisecond or more; 5 ms slices in two idle waits kept
// sysmon awake several thousand times a second.
var quietSlice atomic.Int64 // nanoseconds

// peerSlice bounds one futex sleep of a quiet wait whose peer is another
// process: after each, one liveness look (owner.Alive: a kill(0) and a
// read of /proc/<pid>/stat, some microseconds) finds a dead peer. It
// bounds how long a waiter takes to report a killed peer; 20 wakes a
// second keep an idle waiter's cost far below 0.1% of a core.
var peerSlice atomic.Int64 // nanoseconds

func init() {
	quietSlice.Store(int64(time.Second))
	peerSlice.Store(int64(50 * time.Millisecond))
}

// spinner is a side's private adaptive spin budget (process-local).
type spinner struct {
	budget atomic.Int64 // nanoseconds; 0 means spinInitial
}

func (s *spinner) get() time.Duration {
	b := time.Duration(s.budget.Load())
	if b == 0 {
		return spinInitial
	}
	return b
}

// waitStats are the counters a wait bumps, in the waiting side's own line.
type waitStats struct {
	waits, sleeps *atomic.Uint64
}

// await waits until c is ready, ctx is done or c fails. It spins first
// (forever in Spin mode), then sleeps on w in futex slices.
//
// def is the object's default mode; the context may override it (looked up
// only once the fast spin is over).
func await(ctx context.Context, w *waitLine, def Mode, sp *spinner, c waitCond, st waitStats) error {
	// Most waits between busy peers end within a few hundred loads: look
	// that long before paying for a clock read, a context lookup or a
	// counter (waits counts the waits that outlast this).
	for range fastSpins {
		if ok, err := c.ready(); ok || err != nil {
			return err
		}
	}
	if st.waits != nil {
		count(st.waits, 1)
	}
	mode := modeOf(ctx, def)
	done := ctx.Done()
	budget := sp.get()
	cr, _ := c.(crowder)
	crowded := cr != nil && cr.crowded() // see crowd.go
	start := time.Now()
	lastStuck := start
	for i := 1; ; i++ {
		if ok, err := c.ready(); ok || err != nil {
			if mode != Spin {
				sp.budget.Store(int64(min(budget*2, spinMax)))
			}
			return err
		}
		if i&63 != 0 {
			continue
		}
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		// Yield now and then so that a peer goroutine of this process
		// sharing our P can run. Not every check: a Gosched takes the
		// scheduler's locks, and a handoff that lands during one waits
		// for it.
		if crowded && i&255 == 0 {
			yieldCore()
		}
		if i&1023 == 0 {
			runtime.Gosched()
		}
		el := time.Since(start)
		if mode == Spin {
			if el-lastStuck.Sub(start) > stuckEvery {
				lastStuck = time.Now()
				if err := c.stuck(); err != nil {
					return err
				}
			}
			continue
		}
		if el > budget {
			break
		}
	}
	err := sleep(ctx, w, c, st)
	// Adapt to how long the wait really was: a wait a longer spin would
	// have covered grows the budget (else two peers that each sleep while
	// the other sleeps settle into futex round trips, each ending its
	// waits by sleeping and shrinking its spin further); a long one
	// shrinks it, so an idle peer costs little CPU.
	if el := time.Since(start); err == nil && el < spinMax {
		sp.budget.Store(int64(min(max(2*budget, el+el/2), spinMax)))
	} else {
		sp.budget.Store(int64(max(budget/2, spinMin)))
	}
	return err
}

// sleep is await's slow path: futex sleeps of at most sleepSlice each
// (what slice says for a quiet wait).
func sleep(ctx context.Context, w *waitLine, c waitCond, st waitStats) error {
	done := ctx.Done()
	first := true
	qc, quiet := c.(quietCond)
	if quiet {
		if done != nil {
			// The context's end must cut a long sleep short: wake this
			// line's sleepers (the others re-check and sleep again). The
			// wake touches the mapping, so a wake already under way is
			// waited for before returning (after which the caller may
			// unmap it).
			fired := make(chan struct{})
			stop := context.AfterFunc(ctx, func() { defer close(fired); w.wakeAll() })
			defer func() {
				if !stop() {
					<-fired
				}
			}()
		}
	}
	for {
		w.armed.Store(1)
		seq := w.seq.Load()
		if ok, err := c.ready(); ok || err != nil {
			return err
		}
		if st.sleeps != nil {
			count(st.sleeps, 1)
		}
		// The first sleep after arming is short: a waker whose
		// publication was a release store (publish) may have read a
		// stale armed == 0 while its store sat in its store buffer; the
		// store is visible long before firstSleep is over, and the
		// re-check finds it. Only a sleep that timed out is followed by
		// a long one: after a wake (a release that freed too little
		// room, say) the race is open again.
		slice := sleepSlice
		if quiet {
			slice = qc.slice()
		}
		if first {
			slice = firstSleep
		}
		if dl, ok := ctx.Deadline(); ok {
			slice = min(slice, max(time.Until(dl), 0)+50*time.Microsecond)
		}
		err := kernel.FutexWait(w.word(), seq, slice)
		first = err != kernel.ErrTimeout
		select {
		case <-done:
			if ok, rerr := c.ready(); ok || rerr != nil {
				return rerr
			}
			return ctx.Err()
		default:
		}
		if err == kernel.ErrTimeout {
			if err := c.stuck(); err != nil {
				return err
			}
		}
	}
}

// word is the futex word: atomic.Uint32's only non-empty field is its value.
func (w *waitLine) word() *uint32 { return (*uint32)(unsafe.Pointer(&w.seq)) }
