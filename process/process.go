package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/shm"
)

// Process is a child started by Start: a re-executed copy of this binary
// running one registered task. It is always reaped, joined or not; it is
// killed if this process dies.
type Process struct {
	name string
	pid  int
	cmd  *exec.Cmd
	args *os.File // our end of the argument pipe, held open as the liveness signal

	grace     time.Duration
	nonDaemon bool
	warm      bool          // a spare took the task (EnableSpares)
	done      chan struct{} // closed once reaped
	state     *os.ProcessState
	waitEr    error

	mu      sync.Mutex   // guards frame and results, which Close drops
	frame   *resultFrame // what the child sent, nil if nothing
	results any          // the task's codec.Codec[R], for Wait
	closed  atomic.Bool

	killMu    sync.Mutex
	killTimer *time.Timer // armed by a cancellation: SIGKILL once the grace period is over
}

// Option adjusts how Start launches a child.
type Option func(*config)

type config struct {
	name      string
	files     []*os.File
	env       []string
	stdout    io.Writer
	stderr    io.Writer
	grace     time.Duration
	deadline  time.Time // Run's ctx's, passed on to the task's ctx
	nonDaemon bool
	cold      bool // WithColdStart: never a spare
}

// DefaultGrace is how long a task whose ctx ended has to return before
// its child is killed, unless WithGrace says otherwise.
const DefaultGrace = 2 * time.Second

// WithGrace sets how long the child's task has to return once its ctx is
// cancelled (Terminate, Interrupt, the end of Run's ctx, this process's
// death) before the child is killed with SIGKILL: DefaultGrace without it,
// at once with 0.
func WithGrace(d time.Duration) Option { return func(c *config) { c.grace = max(d, 0) } }

// WithName names the child (Current().Name in it); "Process-N" otherwise.
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithFiles passes open files to the child, where Files() returns them in
// order. The caller keeps its own copies and may close them after Start.
func WithFiles(files ...*os.File) Option {
	return func(c *config) { c.files = append(c.files, files...) }
}

// WithEnv adds KEY=value entries to the child's environment.
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// WithOutput sets the child's standard output and error; by default they
// are this process's os.Stdout and os.Stderr as of the call to Start.
func WithOutput(stdout, stderr io.Writer) Option {
	return func(c *config) { c.stdout, c.stderr = stdout, stderr }
}

var counter atomic.Int64

// Start runs task t with arg in a new child process: this binary,
// re-executed, whose process.Main runs t and exits. The argument travels
// in the task's codec (its bytes for plain types, gob for the rest, or
// what Task.WithCodecs chose; shared objects travel as handles), up to
// 1 GiB; every anonymous segment of this process is inherited by the
// child. ctx bounds the start only: the child runs until its task returns,
// Terminate, Interrupt or Kill, or this process's death (the task's ctx is
// cancelled by all but Kill; see Register).
func Start[A, R any](ctx context.Context, t *Task[A, R], arg A, opts ...Option) (*Process, error) {
	return startTask(ctx, t, arg, time.Time{}, opts)
}

func startTask[A, R any](ctx context.Context, t *Task[A, R], arg A, deadline time.Time, opts []Option) (*Process, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("starting %s on %s: %w", t.name, runtime.GOOS, kernel.ErrUnsupported)
	}
	if os.Getenv(envTask) != "" && !dispatched {
		return nil, ErrNoMain
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, ok := wire.Lookup(t.name); !ok {
		// The child is this binary: what is not registered here is not
		// there either.
		return nil, fmt.Errorf("starting task %q: %w", t.name, ErrUnknownTask)
	}
	argBytes, err := t.EncodeArg(arg)
	if err != nil {
		return nil, fmt.Errorf("encoding argument of %q: %w", t.name, err)
	}
	c := config{name: "Process-" + strconv.FormatInt(counter.Add(1), 10), stdout: os.Stdout, stderr: os.Stderr, grace: DefaultGrace, deadline: deadline}
	for _, o := range opts {
		o(&c)
	}
	p, warm, err := startWarm(ctx, t.name, argBytes, &c)
	if !warm {
		p, err = start(ctx, t.name, argBytes, &c)
	}
	if p != nil {
		p.results = t.results
	}
	return p, err
}

func start(ctx context.Context, task string, arg []byte, c *config) (*Process, error) {
	argR, argW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		argR.Close()
		argW.Close()
		return nil, err
	}
	exports, err := shm.Exports()
	if err != nil {
		closeAll(argR, argW, resR, resW)
		return nil, err
	}
	childSide := []*os.File{argR, resW}
	var segs, files []string
	for _, e := range exports {
		segs = append(segs, strconv.FormatUint(e.ID, 16)+":"+strconv.Itoa(3+len(childSide)))
		childSide = append(childSide, e.File)
	}
	for _, f := range c.files {
		files = append(files, strconv.Itoa(3+len(childSide)))
		childSide = append(childSide, f)
	}
	attr := childAttr()
	var deadline string
	if !c.deadline.IsZero() {
		deadline = strconv.FormatInt(c.deadline.UnixNano(), 10)
	}
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{os.Args[0]},
		Stdin:       nil,
		Stdout:      c.stdout,
		Stderr:      c.stderr,
		ExtraFiles:  childSide,
		SysProcAttr: attr,
		Env: childEnv(c.env, envTask, task, envName, c.name, envPPID, strconv.Itoa(os.Getpid()),
			envSegs, strings.Join(segs, ","), envFiles, strings.Join(files, ","),
			envGrace, strconv.FormatInt(int64(c.grace), 10), envDeadline, deadline, envParentName, current.Name),
	}
	err = startCmd(cmd)
	// The child has its copies now (or never will): close ours, all but the
	// caller's files, which remain the caller's.
	closeAll(argR, resW)
	for _, e := range exports {
		e.File.Close()
	}
	if err != nil {
		closeAll(argW, resR)
		return nil, fmt.Errorf("starting %s: %w", c.name, err)
	}
	p := &Process{name: c.name, pid: cmd.Process.Pid, cmd: cmd, args: argW, grace: c.grace, nonDaemon: c.nonDaemon, done: make(chan struct{})}
	addChild(p)
	go p.wait(resR)
	if dl, ok := ctx.Deadline(); ok {
		argW.SetWriteDeadline(dl)
	}
	if err := writeFrame(argW, arg); err != nil {
		p.Kill()
		<-p.done
		return nil, fmt.Errorf("sending argument to %s: %w", c.name, err)
	}
	return p, nil
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// wait collects the child's result frame, reaps it, and only then drops
// the liveness pipe.
func (p *Process) wait(res *os.File) {
	if b, err := readFrame(res); err == nil {
		if f, err := parseResultFrame(b); err == nil {
			p.mu.Lock()
			p.frame = &f
			p.mu.Unlock()
		}
	}
	io.Copy(io.Discard, res) // until the child (and any grandchild) lets go
	res.Close()
	p.waitEr = p.cmd.Wait()
	p.state = p.cmd.ProcessState
	p.args.Close()
	removeChild(p)
	close(p.done)
	p.disarm()
}

// Pid returns the child's process id.
func (p *Process) Pid() int { return p.pid }

// Name returns the child's name.
func (p *Process) Name() string { return p.name }

// IsAlive reports whether the child has not yet exited (and been reaped);
// false after Close.
func (p *Process) IsAlive() bool {
	if p.closed.Load() {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Done returns a channel closed when the child has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Join waits for the child to exit. It returns nil when the task returned
// no error, an *ExitError when it failed, panicked, or the process died,
// and ctx's error if ctx ends first (the child keeps running); after
// Close, an error wrapping os.ErrClosed.
func (p *Process) Join(ctx context.Context) error {
	if p.closed.Load() {
		return fmt.Errorf("joining %s: %w", p.name, os.ErrClosed)
	}
	select {
	case <-p.done:
		return p.err()
	case <-ctx.Done():
		return fmt.Errorf("joining %s: %w", p.name, ctx.Err())
	}
}

func (p *Process) err() error {
	ee := &ExitError{Name: p.name, Pid: p.pid, Code: -1}
	if p.state != nil {
		ee.Code = p.state.ExitCode()
		if ws, ok := p.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ee.Signal = ws.Signal()
		}
	}
	p.mu.Lock()
	f := p.frame
	p.mu.Unlock()
	if f != nil {
		if f.Failure == nil && ee.Code == exitOK {
			return nil
		}
		if f.Failure != nil {
			fail, err := wire.ParseFailure(f.Failure)
			if err != nil {
				fail.Err = fmt.Errorf("reading the failure %s sent: %w", p.name, err)
			}
			ee.Err, ee.Message, ee.Panic, ee.Frame, ee.Stack = fail.Err, fail.Err.Error(), fail.Panic, fail.Frame, fail.Stack
		}
		return ee
	}
	if ee.Code == exitOK && ee.Signal == 0 {
		return fmt.Errorf("%s exited with status 0 but sent no result (the task called os.Exit, or main does not call process.Main first): %w", p.name, ErrNoMain)
	}
	if ee.Signal == 0 && p.waitEr != nil && !errors.As(p.waitEr, new(*exec.ExitError)) {
		ee.Message = p.waitEr.Error()
	}
	return ee
}

// ExitCode returns the child's exit status once it has exited (ok true):
// 0 for success, the status it exited with, or minus the signal number
// that killed it (Python's convention: -9 after SIGKILL). ok is false while
// the child runs, and after Close.
func (p *Process) ExitCode() (code int, ok bool) {
	if p.closed.Load() {
		return 0, false
	}
	select {
	case <-p.done:
	default:
		return 0, false
	}
	if ws, isWS := p.state.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
		return -int(ws.Signal()), true
	}
	return p.state.ExitCode(), true
}
