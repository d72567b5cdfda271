package process

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/shm"
)

// This process as a child: set once by Main, read-only afterwards.
var current = Info{Pid: os.Getpid(), ParentPid: os.Getppid(), Name: "MainProcess"}

var (
	dispatched bool       // Main turned this process into a child
	childFiles []*os.File // the caller's extra files (WithFiles)
)

// Info describes the calling process.
type Info struct {
	Name      string // "MainProcess" in a process not started by Start
	Pid       int
	ParentPid int
	Child     bool // started by Start
}

// Current returns this process's name, pid, parent pid, and whether it is
// a child started by Start.
func Current() Info { return current }

// Files returns, in a child, the files its parent passed with WithFiles,
// in order (nil in a process not started by Start). The child owns them.
func Files() []*os.File { return childFiles }

// resultFrame is what a child writes on its result pipe before it exits:
// the encoded result, or how the task failed (a wire.Failure; nil on
// success). On the pipe it is one byte, resultOK or resultFailed, then
// the one or the other: parent and child are the same binary, and a
// trivial task should not pay for gob at both ends (a gob encoder's first
// use in a process costs tens of microseconds).
type resultFrame struct {
	Result  []byte
	Failure []byte
}

const (
	resultOK     = 'R'
	resultFailed = 'F'
)

func (f resultFrame) marshal() []byte {
	if f.Failure != nil {
		return append([]byte{resultFailed}, f.Failure...)
	}
	return append([]byte{resultOK}, f.Result...)
}

func parseResultFrame(b []byte) (resultFrame, error) {
	switch {
	case len(b) > 0 && b[0] == resultOK:
		return resultFrame{Result: b[1:]}, nil
	case len(b) > 0 && b[0] == resultFailed:
		return resultFrame{Failure: b[1:]}, nil
	}
	return resultFrame{}, fmt.Errorf("malformed result frame of %d bytes", len(b))
}

func failed(f wire.Failure) resultFrame { return resultFrame{Failure: wire.AppendFailure(nil, f)} }

// Main must be the first statement of main (and of TestMain): in a child
// started by Start it runs the requested task and exits the process, never
// returning; in a spare child (EnableSpares) it first waits to be handed
// its task; in any other process it returns at once.
func Main() {
	var setup func(*childSetup) error
	switch {
	case os.Getenv(envTask) != "":
		setup = coldSetup
	case os.Getenv(envSpare) != "":
		setup = spareSetup
	default:
		return
	}
	dispatched = true
	code, tc := runChild(setup)
	if tc == nil {
		os.Exit(code)
	}
	tc.exit(code)
}

// Exit codes of a child.
const (
	exitOK      = 0
	exitErr     = 1
	exitPanic   = 2
	exitSetup   = 3
	exitOrphan  = 137
	maxArgBytes = 1 << 30
)

// childSetup is what a child needs to run its task, read from its
// environment and fixed descriptors (coldSetup) or from the assignment a
// spare receives (spareSetup). Either also sets current, the inherited
// segments and childFiles.
type childSetup struct {
	task          string
	ppid          int
	parentName    string
	grace         time.Duration
	deadline      time.Time
	args, results *os.File       // the argument (and control) channel, the result pipe
	took          func()         // a spare's "I have my task", once it is ready to run it
	sigs          chan os.Signal // a spare's, already notified (notifyTask); nil in a cold child
}

func runChild(setup func(*childSetup) error) (int, *taskCtx) {
	var s childSetup
	if err := setup(&s); err != nil {
		if s.results == nil || errors.Is(err, errNoTask) {
			return exitOrphan, nil // nobody to tell, or nothing was asked
		}
		return childFailed(s.results, err), nil
	}
	arg, err := readFrame(s.args)
	if err != nil {
		return childFailed(s.results, fmt.Errorf("reading argument: %w", err)), nil
	}
	tc := newTaskCtx(s.args, s.grace, s.deadline, s.sigs)
	parent = &ParentProcess{pid: s.ppid, name: s.parentName, gone: tc.parentGone}
	if s.ppid > 0 {
		// Belt and braces with the pdeathsig set at fork: also fails if the
		// parent is already gone.
		if err := kernel.SetParentDeathSignal(syscall.SIGHUP, s.ppid); err != nil {
			return exitOrphan, nil
		}
	}
	if s.took != nil {
		s.took()
	}
	run, ok := wire.Lookup(s.task)
	if !ok {
		writeResult(s.results, failed(wire.Failure{Err: fmt.Errorf("task %q: %w", s.task, ErrUnknownTask)}))
		return exitSetup, tc
	}
	frame, code := call(tc.ctx, run, arg)
	if err := writeResult(s.results, frame); err != nil {
		select {
		case <-tc.parentGone: // nobody to tell
		default:
			fmt.Fprintf(os.Stderr, "shmkit child %s: writing result: %v\n", current.Name, err)
		}
		return exitSetup, tc
	}
	return code, tc
}

// childFailed reports a child that could not run its task.
func childFailed(results *os.File, err error) int {
	fmt.Fprintf(os.Stderr, "shmkit child %s: %v\n", current.Name, err)
	writeResult(results, failed(wire.Failure{Err: err}))
	return exitSetup
}

// coldSetup reads a child's task from its environment and its fixed
// descriptors (see env.go).
func coldSetup(s *childSetup) error {
	s.task = os.Getenv(envTask)
	s.ppid, _ = strconv.Atoi(os.Getenv(envPPID))
	s.parentName = os.Getenv(envParentName)
	current = Info{Name: os.Getenv(envName), Pid: os.Getpid(), ParentPid: s.ppid, Child: true}
	for _, fd := range []uintptr{fdArgs, fdResult} {
		kernel.CloseOnExec(fd)
	}
	s.results = os.NewFile(fdResult, "shmkit-result")
	var err error
	if s.args, err = kernel.NonblockFile(fdArgs, "shmkit-args"); err != nil {
		return err
	}
	if err := inheritDescriptors(); err != nil {
		return err
	}
	s.grace, s.deadline, err = parseTiming(os.Getenv(envGrace), os.Getenv(envDeadline))
	return err
}

func call(ctx context.Context, run wire.Runner, arg []byte) (frame resultFrame, code int) {
	defer func() {
		if r := recover(); r != nil {
			frame, code = failed(wire.Recovered(r)), exitPanic
		}
	}()
	res, err := run(ctx, arg)
	if err != nil {
		return failed(wire.Failure{Err: err}), exitErr
	}
	return resultFrame{Result: res}, exitOK
}

func inheritDescriptors() error {
	ids, fds, err := parseFDs(os.Getenv(envSegs), true)
	if err != nil {
		return err
	}
	for i, fd := range fds {
		kernel.CloseOnExec(uintptr(fd))
		if err := shm.Inherit(ids[i], os.NewFile(uintptr(fd), "shmkit-segment")); err != nil {
			return err
		}
	}
	_, fds, err = parseFDs(os.Getenv(envFiles), false)
	if err != nil {
		return err
	}
	for _, fd := range fds {
		kernel.CloseOnExec(uintptr(fd))
		childFiles = append(childFiles, os.NewFile(uintptr(fd), "shmkit-file-"+strconv.Itoa(fd)))
	}
	return nil
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint32(n[:])
	if size > maxArgBytes {
		return nil, fmt.Errorf("frame of %d bytes: over %d", size, maxArgBytes)
	}
	b := make([]byte, size)
	_, err := io.ReadFull(r, b)
	return b, err
}

func writeFrame(w io.Writer, b []byte) error {
	if len(b) > maxArgBytes {
		return fmt.Errorf("frame of %d bytes: over %d: %w", len(b), maxArgBytes, os.ErrInvalid)
	}
	frame := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(b)), uint32(len(b)))
	_, err := w.Write(append(frame, b...))
	return err
}

func writeResult(w *os.File, f resultFrame) error {
	return errors.Join(writeFrame(w, f.marshal()), w.Close())
}
