package pool

import (
	"fmt"

	"github.com/shmkit/shmkit/internal/wire"
)

// TaskError is how a task's own failure reaches the caller: the error it
// returned, or the panic it raised. The worker lives on (but for a task
// stopped after its grace period, whose worker is replaced).
//
// Err is the task's error rebuilt in this process, so errors.Is and
// errors.As see through a TaskError as they would through the task's own
// error: sentinels and types registered with process.RegisterError and
// process.RegisterErrorType arrive as themselves, other errors as their
// message and wrapped chain (see process.RegisterError).
type TaskError struct {
	Task    string // the task's registered name
	Worker  string // the worker that ran it ("PoolWorker-N")
	Message string // Err's message
	Err     error  // the task's error, or its panic's value
	Panic   bool   // the task panicked
	Frame   string // where it panicked: "pkg.Func (file.go:42)"
	Stack   string // the worker's stack at the panic
}

func newTaskError(task, worker string, f wire.Failure) *TaskError {
	return &TaskError{Task: task, Worker: worker, Message: f.Err.Error(), Err: f.Err, Panic: f.Panic, Frame: f.Frame, Stack: f.Stack}
}

func (e *TaskError) Error() string {
	if e.Panic {
		return fmt.Sprintf("task %s panicked: %s [%s]", e.Task, e.Message, e.Frame)
	}
	return fmt.Sprintf("task %s: %s", e.Task, e.Message)
}

// Unwrap returns the task's error (or its panic's value).
func (e *TaskError) Unwrap() error { return e.Err }
