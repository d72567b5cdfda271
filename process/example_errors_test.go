package process_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shmkit/shmkit/process"
)

// CPython re-raises a child's exception in the parent as the same type
// (pool.apply raises the task's own SayWhenError). A Go sentinel does the
// same once registered, at package level, as tasks are:
//
//	var ErrQuota = process.RegisterError(errors.New("over quota"))
//
// failsAs("sentinel") returns fmt.Errorf("%w: user ann", ErrQuota).
func ExampleRegisterError() {
	_, err := process.Run(context.Background(), failsAs, "sentinel")
	var exit *process.ExitError
	errors.As(err, &exit)
	fmt.Println(errors.Is(err, ErrQuota), exit.Message)
	// Output: true over quota: user ann
}

// An error type registered with RegisterErrorType arrives as a value of
// that type, for errors.As:
//
//	func init() { process.RegisterErrorType[*QuotaError](nil) }
//
// failsAs("typed") returns fmt.Errorf("job 3: %w", &QuotaError{"ann", 10}).
func ExampleRegisterErrorType() {
	_, err := process.Run(context.Background(), failsAs, "typed")
	var q *QuotaError
	if errors.As(err, &q) {
		fmt.Println(q.User, q.Limit)
	}
	// Output: ann 10
}
