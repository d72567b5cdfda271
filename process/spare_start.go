package process

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/shm"
)

// Handing a Start to a spare (spares.go). What a cold child gets from
// exec, a spare gets in its assignment:
//
//	cold child (start)                 spare (startWarm)
//	argument pipe, fd 3                its socket, fd 3, since it started
//	result pipe, fd 4                  its result pipe, fd 4, since it started
//	segments and files: ExtraFiles     the same, by SCM_RIGHTS
//	name, grace, deadline: env         the assignment, and os.Setenv of the same markers
//	WithEnv: env after the parent's    os.Setenv, after the parent's env as of the spare's start
//	stdout, stderr: the config's       the same files, by SCM_RIGHTS, dup'ed onto 1 and 2
//
// Start falls back to a cold start whenever a spare cannot be made
// equivalent: WithColdStart; outputs that are not files (exec would copy
// them through a pipe); a WithEnv entry without '=' or that the runtime or the
// dynamic loader read before Main (GO*, LD_*, TZ); more descriptors than
// one message carries (kernel.MaxPassFDs); an assignment over maxAssign.
// Spares started before this process's environment changed are retired
// and replaced.

// WithColdStart makes Start exec a new child even when a spare is ready
// (EnableSpares): for a child whose packages must see WithEnv's entries
// while they initialise, or that must start after something this process
// changed outside shmkit's knowledge (a file a package init reads, say).
func WithColdStart() Option { return func(c *config) { c.cold = true } }

// FromSpare reports whether a spare child took p's task (EnableSpares)
// rather than a child exec'ed for it.
func (p *Process) FromSpare() bool { return p.warm }

// startWarm hands the task to a spare. ok is false when no spare may take
// it: the caller starts a cold child instead.
func startWarm(ctx context.Context, task string, arg []byte, c *config) (p *Process, ok bool, err error) {
	if !spares.enabled.Load() || c.cold || !warmEnv(c.env) || len(arg) > maxArgBytes {
		return nil, false, nil
	}
	stdout, isFile := c.stdout.(*os.File)
	stderr, isFile2 := c.stderr.(*os.File)
	if !isFile || !isFile2 || stdout == nil || stderr == nil {
		return nil, false, nil
	}
	exports, err := shm.Exports()
	if err != nil {
		return nil, false, nil // the cold start reports it
	}
	defer func() {
		for _, e := range exports {
			e.File.Close()
		}
	}()
	if 2+len(exports)+len(c.files) > kernel.MaxPassFDs {
		return nil, false, nil
	}
	msg, files := assignFrame(task, arg, c, stdout, stderr, exports)
	if msg == nil {
		return nil, false, nil
	}
	for range maxSpareTries {
		s := takeSpare(ctx)
		if s == nil && ctx.Err() != nil {
			return nil, true, fmt.Errorf("starting %s: %w", c.name, ctx.Err())
		}
		if s == nil {
			break
		}
		wasReady := s.ready.Load()
		err := s.assign(ctx, msg, files)
		if err == nil {
			err = s.awaitTook(ctx)
		}
		if err == nil {
			return s.process(c, wasReady), true, nil
		}
		s.discard()
		spareGone(s)
		if !errors.Is(err, errSpareDied) {
			return nil, true, fmt.Errorf("starting %s: %w", c.name, err)
		}
		// It died before it took its task, which never ran: the next one.
	}
	return nil, false, nil
}

// maxSpareTries: how many spares that die before they take their task a
// Start tries before it starts a cold child (which reports, say, a
// descriptor no child can use, which would kill every spare in turn).
const maxSpareTries = 2

// errSpareDied: the spare died before it took its task.
var errSpareDied = errors.New("spare child died before it took its task")

// warmEnv reports whether a spare can take WithEnv's entries with
// os.Setenv: not those read before Main runs, by the runtime (GOGC,
// GOMAXPROCS, GODEBUG…), the dynamic loader (LD_PRELOAD…) or the time
// package's first use (TZ).
func warmEnv(env []string) bool {
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.HasPrefix(k, "GO") || strings.HasPrefix(k, "LD_") || k == "TZ" {
			return false
		}
	}
	return true
}

// assignFrame returns the bytes a spare reads (the assignment frame, then
// the argument frame) and the descriptors that go with them; nil when the
// assignment is too large for one.
func assignFrame(task string, arg []byte, c *config, stdout, stderr *os.File, exports []shm.Export) ([]byte, []*os.File) {
	a := assignment{Task: task, Name: c.name, Env: c.env, Files: len(c.files), Grace: c.grace}
	if !c.deadline.IsZero() {
		a.Deadline = c.deadline.UnixNano()
	}
	// Fd, as exec does for a child's files: it makes them blocking, for the
	// child (whose os.Stdout was made on /dev/null, a blocking file) and
	// for this process alike.
	stdout.Fd()
	stderr.Fd()
	for _, f := range c.files {
		f.Fd()
	}
	files := make([]*os.File, 0, 2+len(exports)+len(c.files))
	files = append(files, stdout, stderr)
	for _, e := range exports {
		a.Segs = append(a.Segs, e.ID)
		files = append(files, e.File)
	}
	files = append(files, c.files...)
	msg := a.append(make([]byte, 4, 128+len(arg)))
	if len(msg)-4 > maxAssign {
		return nil, nil
	}
	binary.LittleEndian.PutUint32(msg, uint32(len(msg)-4))
	msg = binary.LittleEndian.AppendUint32(msg, uint32(len(arg)))
	return append(msg, arg...), files
}

// takeSpare removes the oldest spare from the idle list and returns it;
// nil when there is none and none is being exec'ed (or ctx ends first).
// One being exec'ed is waited for: its exec is under way (a fraction of a
// millisecond), where a cold start would begin one more, and both would
// then compete for the CPUs while they start up. Spares that started
// before this process's environment changed are retired instead.
func takeSpare(ctx context.Context) *spare {
	env := os.Environ()
	for {
		s, wait := popSpare(env)
		if s == nil && wait != nil {
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil
			}
		}
		if s == nil {
			return nil
		}
		select {
		case <-s.died: // died idle, before its watch could take it out
			s.discard()
			spareGone(s)
		default:
			return s
		}
	}
}

// popSpare returns the oldest idle spare, or when there is none but one
// is being exec'ed, a channel closed at the next change.
func popSpare(env []string) (*spare, <-chan struct{}) {
	spares.mu.Lock()
	defer spares.mu.Unlock()
	retireStaleLocked(env)
	if len(spares.idle) == 0 {
		if spares.starting > 0 && spares.want > 0 {
			return nil, spares.changed
		}
		return nil, nil
	}
	s := spares.idle[0]
	spares.idle = spares.idle[1:]
	return s, nil
}

// retireStaleLocked retires the idle spares started with another
// environment than env.
func retireStaleLocked(env []string) {
	spares.idle = slices.DeleteFunc(spares.idle, func(s *spare) bool {
		if slices.Equal(s.env, env) {
			return false
		}
		go retire(s)
		return true
	})
}

// retire reaps a spare that no longer matches this process and starts its
// replacement.
func retire(s *spare) {
	s.discard()
	spareGone(s)
}

// assign sends the spare its task: the assignment with the descriptors,
// then the rest as ordinary data, as ctx's deadline allows.
func (s *spare) assign(ctx context.Context, msg []byte, files []*os.File) error {
	if dl, ok := ctx.Deadline(); ok {
		s.sock.SetWriteDeadline(dl)
	}
	n, err := kernel.SendFDs(s.sock, msg, files)
	if err == nil && n < len(msg) {
		_, err = s.sock.Write(msg[n:])
	}
	if errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("%w: %w", errSpareDied, err)
	}
	return err
}

// awaitTook waits for the spare's spareTook (its watch closes took). Its
// death first means the task never ran (errSpareDied). When ctx ends
// first, the spare is left with its task, as a cold child is once its
// argument is written: ctx bounds the start only, and the child may
// already be running the task (which may have told the caller so); its
// death from now on is the child's, reported by Join.
func (s *spare) awaitTook(ctx context.Context) error {
	select {
	case <-s.took:
		return nil
	case <-s.died:
		return errSpareDied
	case <-ctx.Done():
		return nil
	}
}

// process turns a spare that has its task into the Start's child.
func (s *spare) process(c *config, wasReady bool) *Process {
	p := &Process{name: c.name, pid: s.cmd.Process.Pid, cmd: s.cmd, args: s.sock, grace: c.grace, nonDaemon: c.nonDaemon, done: make(chan struct{}), warm: true}
	addChild(p)
	go p.wait(s.res)
	handedOver(s, p.done, wasReady)
	return p
}
