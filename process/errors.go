package process

import (
	"errors"
	"fmt"
	"syscall"
)

var (
	// ErrNoMain: a re-executed child did not run its task because the
	// binary does not call process.Main first in main (or TestMain).
	ErrNoMain = errors.New("child did not run its task: call process.Main() first in main and TestMain")
	// ErrUnknownTask: no task of that name is registered. Start and the
	// pool's calls check before they start anything (a child is this
	// binary: what is not registered here is not there either).
	ErrUnknownTask = errors.New("task not registered in the child")

	// Causes of a task's cancellation in a child, as context.Cause reports
	// them (ctx.Err() is context.Canceled for each): SIGTERM (Terminate),
	// SIGINT (Interrupt), and the death of the parent.
	ErrTerminated  = errors.New("process terminated")
	ErrInterrupted = errors.New("process interrupted")
	ErrParentDied  = errors.New("parent process died")
)

// ExitError is what Join returns for a child that failed: its task
// returned an error or panicked (Err, Message; Panic, Frame and Stack for
// a panic), or the process exited with a non-zero status or was killed by
// a signal. It unwraps to the task's error, rebuilt in this process (see
// RegisterError), so errors.Is and errors.As see through it.
type ExitError struct {
	Name    string         // the process name
	Pid     int            // the child's pid
	Code    int            // exit status, or -1 when killed by a signal
	Signal  syscall.Signal // the signal that killed it, or 0
	Message string         // the task's error or panic message, if it sent one
	Err     error          // the task's error, or its panic's value; nil if it sent none
	Panic   bool           // the task panicked
	Frame   string         // where it panicked: "pkg.Func (file.go:42)"
	Stack   string         // the child's stack at the panic
}

func (e *ExitError) Error() string {
	who := fmt.Sprintf("process %s (pid %d)", e.Name, e.Pid)
	switch {
	case e.Panic:
		return fmt.Sprintf("%s panicked: %s [%s]", who, e.Message, e.Frame)
	case e.Message != "":
		return fmt.Sprintf("%s: %s", who, e.Message)
	case e.Signal != 0:
		return fmt.Sprintf("%s killed by signal %d (%v)", who, int(e.Signal), e.Signal)
	default:
		return fmt.Sprintf("%s exited with status %d", who, e.Code)
	}
}

// Unwrap returns the task's error (or panic value), if it sent one.
func (e *ExitError) Unwrap() error { return e.Err }
