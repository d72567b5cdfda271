package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"golang.org/x/sync/errgroup"
)

// A session runs one case: the link, the control block, and the peers —
// children re-executed through package process, or goroutines for an
// in-process transport. Its context ends at the case's timeout; on the
// first failure of any party it is cancelled, which aborts every end
// (blocked reads and writes fail), and kills the children.

// peerArg is what a peer gets: plain data, gob-encoded to a child.
type peerArg struct {
	Case  Case
	Hooks testHooks // Case's own, which gob would drop
	Role  string
	Index int
	End   endSpec
	Ctl   []byte // marshalled shm.Handle of the control block
}

// peerOut is what a peer returns.
type peerOut struct {
	Count int
	Seen  [][]byte // fanin: bitmap of the messages received, per producer
}

// peerEnv is a role's view of its process.
type peerEnv struct {
	Case  Case
	Index int
	Conn  Conn
	ctl   *control
}

type roleFunc func(ctx context.Context, e *peerEnv) (peerOut, error)

var roles = map[string]roleFunc{}

var peerTask = process.Register("shmkit/bench.peer", func(ctx context.Context, a peerArg) (peerOut, error) {
	return runPeer(ctx, a, process.Files())
})

// runPeer opens the peer's end and runs its role. It owns files.
func runPeer(ctx context.Context, a peerArg, files []*os.File) (peerOut, error) {
	closeFiles := func() {
		for _, f := range files {
			f.Close()
		}
	}
	a.Case.hooks = a.Hooks
	ensurePattern(a.Case.Size) // before the clock: not in a first message
	role := roles[a.Role]
	t := transports[a.End.Transport]
	if role == nil || t == nil {
		closeFiles()
		return peerOut{}, fmt.Errorf("bench: unknown role %q or transport %q", a.Role, a.End.Transport)
	}
	ctl, err := attachControl(a.Ctl)
	if err != nil {
		closeFiles()
		return peerOut{}, err
	}
	conn, err := t.end(ctx, a.End, files)
	if err != nil {
		closeFiles()
		return peerOut{}, fmt.Errorf("opening %s end: %w", a.End.Transport, err)
	}
	defer conn.Close()
	defer abortOnDone(ctx, conn)()
	return role(ctx, &peerEnv{Case: a.Case, Index: a.Index, Conn: conn, ctl: ctl})
}

// The peers run in an errgroup (golang.org/x/sync): the first peer to fail
// cancels the group's context, which is every party's s.ctx, and its error
// is the group's cause, readable while the others still run (peerErr).
type session struct {
	c      Case
	tr     *transport
	lk     *link
	seg    *shm.Segment
	ctl    *control
	ctx    context.Context    // the group's: ends at the timeout or a failure
	cancel context.CancelFunc // ends the case for every party
	g      *errgroup.Group

	mu       sync.Mutex
	outs     []peerOut
	own      [2]bool  // sides the parent holds (their files stay open)
	releases []func() // stop aborting the parent's own ends
}

var errAborted = errors.New("aborted: another party failed")

func newSession(ctx context.Context, c Case) (*session, error) {
	tr := transports[c.Transport]
	if tr == nil {
		return nil, fmt.Errorf("unknown transport %q", c.Transport)
	}
	seg, err := shm.Anonymous(64<<10, nil)
	if err != nil {
		return nil, err
	}
	ctl, err := newControl(seg)
	if err != nil {
		seg.Close()
		return nil, err
	}
	c.Size = max(c.Size, 0)
	lk, err := tr.open(c)
	if err != nil {
		seg.Close()
		return nil, err
	}
	for s := range 2 {
		lk.specs[s].Transport, lk.specs[s].Mode, lk.specs[s].Side = c.Transport, c.Mode, s
		lk.specs[s].Size = max(c.Size*max(c.Batch, 1), MinSize)
		lk.specs[s].Msg = c.Size
	}
	s := &session{c: c, tr: tr, lk: lk, seg: seg, ctl: ctl}
	var tctx context.Context
	tctx, s.cancel = context.WithTimeout(ctx, c.Timeout)
	s.g, s.ctx = errgroup.WithContext(tctx)
	return s, nil
}

// spawn starts a peer playing role with the end of side, as a child (or a
// goroutine for an in-process transport).
func (s *session) spawn(role string, index, side int) {
	a := peerArg{Case: s.c, Hooks: s.c.hooks, Role: role, Index: index, End: s.lk.specs[side], Ctl: s.ctl.handle()}
	// Each peer gets its own duplicates of its end's descriptors, made here
	// (not in the goroutine) and closed when the peer is done: the parent
	// then holds no copy of a child's end once the child has exited, so a
	// read or write on its own end sees the child's death.
	files, err := dupFiles(s.lk.files[side])
	s.g.Go(func() error {
		if err != nil {
			return fmt.Errorf("%s %d: %w", role, index, err)
		}
		var out peerOut
		if s.tr.inProcess {
			out, err = runPeer(s.ctx, a, files) // runPeer owns files
		} else {
			name := fmt.Sprintf("bench-%s-%d", role, index)
			out, err = process.Run(s.ctx, peerTask, a, process.WithFiles(files...), process.WithName(name))
			for _, f := range files {
				f.Close()
			}
		}
		if err != nil {
			if s.ctx.Err() != nil && errors.Is(err, s.ctx.Err()) {
				err = s.ctx.Err()
			}
			return fmt.Errorf("%s %d: %w", role, index, err)
		}
		s.mu.Lock()
		s.outs = append(s.outs, out)
		s.mu.Unlock()
		return nil
	})
}

// conn opens the parent's own end of side.
func (s *session) conn(side int) (Conn, error) {
	s.own[side] = true
	files, err := dupFiles(s.lk.files[side])
	if err != nil {
		return nil, err
	}
	c, err := s.tr.end(s.ctx, s.lk.specs[side], files)
	if err != nil {
		return nil, err
	}
	s.releases = append(s.releases, abortOnDone(s.ctx, c))
	return c, nil
}

// open waits for n peers to be ready, then closes the link's descriptors of
// the ends the parent does not hold (every peer has its own duplicates),
// starts the timed part and returns its start time.
func (s *session) open(n int) (time.Time, error) {
	t, err := s.ctl.open(s.ctx, uint32(n))
	if err != nil {
		return t, s.reason(err)
	}
	for side := range 2 {
		if !s.own[side] {
			for _, f := range s.lk.files[side] {
				f.Close()
			}
		}
	}
	return t, nil
}

// waitDone waits for n parties to finish their timed part.
func (s *session) waitDone(n int) (time.Time, error) {
	t, err := s.ctl.waitDone(s.ctx, uint32(n))
	return t, s.reason(err)
}

// reason turns a failure seen by the parent into the session's story:
// the timeout when the case ran out of time, else a peer's own failure
// when one has been reported (the parent's read often fails only because
// the peer died), else err.
func (s *session) reason(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(s.ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("hung or too slow: not done within %v; peers killed", s.c.Timeout)
	}
	if p := s.peerErr(); p != nil {
		return p
	}
	return err
}

// peerErr returns the first failure of a peer (the group's cause), unless
// it was merely its cancellation by the session or no peer has failed.
func (s *session) peerErr() error {
	if s.ctx.Err() == nil {
		return nil
	}
	return realErr(context.Cause(s.ctx))
}

// realErr returns err unless it is, or wraps, a cancellation.
func realErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// finish waits for every peer and releases the session. It returns the
// case's failure: the timeout, a peer's own error, or parentErr (the
// parent's half failed; the peers are then cancelled).
func (s *session) finish(parentErr error) ([]peerOut, error) {
	waited := make(chan struct{})
	var groupErr error
	go func() {
		groupErr = s.g.Wait()
		close(waited)
	}()
	if parentErr != nil {
		// A read or write that failed here usually means a peer died: give
		// the peers a moment to report why before cancelling them, so the
		// note names the cause rather than the end of file it caused.
		if !errors.Is(parentErr, ErrCorrupt) {
			waitAtMost(waited, 2*time.Second)
		}
		s.cancel()
	}
	<-waited
	for _, release := range s.releases {
		release()
	}
	timedOut := errors.Is(s.ctx.Err(), context.DeadlineExceeded)
	s.cancel()
	err := s.lk.Close()
	s.seg.Close()
	switch {
	case timedOut && (groupErr != nil || parentErr != nil):
		return s.outs, fmt.Errorf("hung or too slow: not done within %v; peers killed", s.c.Timeout)
	case realErr(groupErr) != nil:
		return s.outs, groupErr
	case parentErr != nil:
		return s.outs, parentErr
	case groupErr != nil:
		return s.outs, groupErr
	}
	return s.outs, err
}

// dupFiles duplicates files, so that each holder owns and closes its own.
func dupFiles(files []*os.File) ([]*os.File, error) {
	var out []*os.File
	for _, f := range files {
		d, err := kernel.Dup(f)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// waitAtMost waits for done to be closed, at most d.
func waitAtMost(done <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}
