package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
)

// Spare children: copies of this binary started ahead of time, in the
// background, that wait in Main for a task. Start hands one the task
// (spare_start.go) instead of exec'ing a new child, and starts another
// in its place, so the exec and the runtime's start-up overlap the
// caller's work instead of sitting in its Start.
//
// Who holds a spare, in order: fill makes it and launch starts it
// (spares.starting); then it is idle until a Start takes it (takeSpare),
// StopSpares or a change of environment retires it, or it dies.
// spares.all holds every spare from fill until it is handed over as a
// Process or reaped, so StopSpares can wait for the ones in flight. The
// goroutine that removes a spare from idle owns it: it hands it over or
// reaps it.
//
// All along, its launch goroutine reads its socket (watch): the spare's
// spareReady, then its spareTook once a Start handed it a task (closing
// took), or its end of file (closing died). A spare that dies idle is
// reaped and replaced by its watch; one that dies while a Start holds it
// is the Start's to reap. The obvious version, reading the socket only
// when a Start takes the spare, would leave a spare that died idle a
// zombie, unreplaced, until then; stopping the watch before the handover
// (a read deadline) would put a goroutine switch on Start's path.

// MaxSpares bounds EnableSpares.
const MaxSpares = 64

// maxSpareFailures: after this many spares in a row fail to start or die
// before they are ready, no more are started until EnableSpares is called
// again (a binary whose spares cannot start must not fork in a loop).
const maxSpareFailures = 3

type spare struct {
	gen  uint64 // the StopSpares generation it was made in
	cmd  *exec.Cmd
	sock *os.File // our end of its socket: the assignment, then its argument pipe
	res  *os.File // the read end of its result pipe
	env  []string // this process's environment when it started

	ready atomic.Bool   // it said it waits (spareReady)
	took  chan struct{} // closed when it says it has its task (spareTook)
	died  chan struct{} // closed when its socket ends first: it died
}

var spares = struct {
	mu       sync.Mutex
	want     int
	gen      uint64
	idle     []*spare            // started and not taken, oldest first
	starting int                 // being launched
	all      map[*spare]struct{} // every spare not yet handed over or reaped
	failures int                 // spares in a row that failed before they were ready
	err      error               // why the last one failed
	changed  chan struct{}       // closed and replaced on every change, for waiters
	enabled  atomic.Bool         // want > 0: Start's check without the lock
}{all: map[*spare]struct{}{}, changed: make(chan struct{})}

// EnableSpares keeps n spare children ready (0 stops them, as
// StopSpares): copies of this binary started in the background that wait
// in Main for a task, so that Start hands the task to a process already
// running instead of exec'ing one — the spare runs it exactly as a child
// started cold would (see the package doc for what differs and when Start
// starts cold anyway) — and starts a replacement, which overlaps the
// caller's work. Spares are off until this is called; calling it again
// changes n (spares beyond a smaller n are stopped). n above MaxSpares is
// an error.
//
// Each idle spare is a process of this binary with its runtime started,
// waiting: its resident size at start-up, mostly pages of the binary
// shared with this process (1.1 MiB of its own for the shmkit binary; see
// the package doc).
// Spares die with this process, as children do; StopSpares (or Shutdown)
// reaps them, which tests that check for leftover processes must call.
func EnableSpares(n int) error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("spare children on %s: %w", runtime.GOOS, kernel.ErrUnsupported)
	}
	if os.Getenv(envTask) != "" && !dispatched {
		return ErrNoMain
	}
	if n < 0 || n > MaxSpares {
		return fmt.Errorf("%d spare children: must be 0..%d: %w", n, MaxSpares, os.ErrInvalid)
	}
	if n == 0 {
		StopSpares()
		return nil
	}
	spares.mu.Lock()
	defer spares.mu.Unlock()
	spares.want, spares.failures, spares.err = n, 0, nil
	spares.enabled.Store(true)
	for len(spares.idle) > n { // fewer than before: the newest go
		s := spares.idle[len(spares.idle)-1]
		spares.idle = spares.idle[:len(spares.idle)-1]
		go retire(s)
	}
	fillLocked()
	return nil
}

// StopSpares stops keeping spares, kills those waiting and waits until
// every spare started so far is reaped (one being handed a task by a
// concurrent Start becomes that Start's child instead). Children already
// started are not affected. Calling it with spares off does nothing.
func StopSpares() {
	spares.mu.Lock()
	spares.want = 0
	spares.enabled.Store(false)
	g := spares.gen
	spares.gen++
	idle := spares.idle
	spares.idle = nil
	spares.mu.Unlock()
	for _, s := range idle {
		s.discard()
		spareGone(s)
	}
	spares.mu.Lock()
	defer spares.mu.Unlock()
	for olderLocked(g) {
		ch := spares.changed
		spares.mu.Unlock()
		<-ch
		spares.mu.Lock()
	}
}

// olderLocked reports whether a spare of generation g or before is still
// in flight.
func olderLocked(g uint64) bool {
	for s := range spares.all {
		if s.gen <= g {
			return true
		}
	}
	return false
}

// WaitSpares waits until the spares EnableSpares asked for are started and
// waiting for a task, as ctx allows; at once when spares are off. Spares
// started before a change of this process's environment do not count
// (they are retired and replaced). It fails when spares keep failing to
// start (the error says why).
func WaitSpares(ctx context.Context) error {
	env := os.Environ()
	for {
		spares.mu.Lock()
		retireStaleLocked(env)
		ready := 0
		for _, s := range spares.idle {
			if s.ready.Load() {
				ready++
			}
		}
		want, fails, err, ch := spares.want, spares.failures, spares.err, spares.changed
		spares.mu.Unlock()
		switch {
		case ready >= want:
			return nil
		case fails >= maxSpareFailures:
			return fmt.Errorf("starting spare children: %w", err)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d spare children (%d ready): %w", want, ready, ctx.Err())
		}
	}
}

func notifyLocked() {
	close(spares.changed)
	spares.changed = make(chan struct{})
}

// fillLocked starts spares until idle and starting ones make want.
func fillLocked() {
	for spares.failures < maxSpareFailures && len(spares.idle)+spares.starting < spares.want {
		s := &spare{gen: spares.gen, took: make(chan struct{}), died: make(chan struct{})}
		spares.all[s] = struct{}{}
		spares.starting++
		go launch(s)
	}
}

// spareGone forgets s, handed over or reaped, and starts its replacement.
func spareGone(s *spare) {
	spares.mu.Lock()
	defer spares.mu.Unlock()
	delete(spares.all, s)
	if s.gen == spares.gen {
		fillLocked()
	}
	notifyLocked()
}

// handedOver forgets s, now a child, and starts its replacement. When s
// was ready when its Start took it, spares keep up with the Starts: the
// replacement waits until the child is done or refillDelay has passed,
// whichever comes first, so that its exec and start-up (milliseconds of
// CPU) do not compete with the child that was just handed its task (on
// the 2-core machine, waiting halved the median start and join of a
// trivial task: 3.8 -> 1.8 ms and 2.5 -> 1.3 ms under load). When s
// was still starting, Starts come faster than spares: the replacement
// starts at once, overlapping the child.
func handedOver(s *spare, done <-chan struct{}, wasReady bool) {
	spares.mu.Lock()
	defer spares.mu.Unlock()
	delete(spares.all, s)
	notifyLocked()
	if s.gen != spares.gen {
		return
	}
	if !wasReady {
		fillLocked()
		return
	}
	go func() {
		t := time.NewTimer(refillDelay)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
		spares.mu.Lock()
		defer spares.mu.Unlock()
		if s.gen == spares.gen {
			fillLocked()
		}
	}()
}

// refillDelay bounds how long a replacement waits for the child of the
// spare it replaces (see handedOver).
const refillDelay = 5 * time.Millisecond

// launch starts s and, once it is idle, watches it.
func launch(s *spare) {
	err := s.start()
	spares.mu.Lock()
	spares.starting--
	switch {
	case err != nil:
		spares.failures++
		spares.err = err
		spares.mu.Unlock()
		spareGone(s)
		return
	case s.gen != spares.gen || len(spares.idle) >= spares.want: // StopSpares ran meanwhile, or EnableSpares asked for fewer
		spares.mu.Unlock()
		s.discard()
		spareGone(s)
		return
	}
	spares.idle = append(spares.idle, s)
	notifyLocked()
	spares.mu.Unlock()
	s.watch()
}

// start execs the spare: a child like any other (start in process.go),
// with its socket and result pipe and no task.
func (s *spare) start() error {
	sock, child, err := kernel.ChildSocketpair()
	if err != nil {
		return err
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		closeAll(sock, child)
		return err
	}
	s.env = os.Environ()
	// Standard input, output and error are /dev/null until the spare gets
	// its task's (spare_child.go): a spare holds nothing of this process's
	// but its socket and result pipe. (Holding os.Stdout as of its start
	// would keep a pipe open that a reader waits to see closed: an
	// Example's capture of os.Stdout never ends while a spare lives.)
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{os.Args[0]},
		ExtraFiles:  []*os.File{child, resW},
		SysProcAttr: childAttr(),
		Env:         childEnv(nil, envSpare, "1", envPPID, strconv.Itoa(os.Getpid()), envParentName, current.Name),
	}
	err = startCmd(cmd)
	closeAll(child, resW)
	if err != nil {
		closeAll(sock, resR)
		return fmt.Errorf("starting a spare child: %w", err)
	}
	s.cmd, s.sock, s.res = cmd, sock, resR
	return nil
}

// watch reads s's socket until it has its task or dies (see above).
func (s *spare) watch() {
	var b [16]byte
	for {
		n, err := s.sock.Read(b[:])
		for _, c := range b[:n] {
			switch {
			case c == spareReady && !s.ready.Swap(true):
				spares.mu.Lock()
				spares.failures = 0
				notifyLocked()
				spares.mu.Unlock()
			case c == spareTook:
				close(s.took)
				return
			}
		}
		if err != nil {
			break
		}
	}
	close(s.died)
	spares.mu.Lock()
	i := slices.Index(spares.idle, s)
	if i < 0 { // a Start, StopSpares or retire holds it, and reaps it
		spares.mu.Unlock()
		return
	}
	spares.idle = slices.Delete(spares.idle, i, i+1)
	if !s.ready.Load() {
		spares.failures++
	}
	spares.mu.Unlock()
	s.discard()
	if !s.ready.Load() {
		spares.mu.Lock()
		spares.err = fmt.Errorf("spare child %d died before it was ready: %v", s.cmd.Process.Pid, s.cmd.ProcessState)
		spares.mu.Unlock()
	}
	spareGone(s)
}

// discard kills s (if it still runs), reaps it and closes our ends.
func (s *spare) discard() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
	closeAll(s.sock, s.res)
}
