package process

import (
	"fmt"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/internal/wire"
)

// Errors cross from a child to its parent (ExitError.Err, and package
// pool's TaskError.Err) as a tree that mirrors their wrapping, so that
// errors.Is and errors.As work in the parent as they did in the child:
//
//   - a sentinel registered with RegisterError arrives as the very value
//     (context.Canceled, context.DeadlineExceeded, io.EOF, the os and
//     io/fs sentinels, errors.ErrUnsupported and this package's are
//     registered already);
//   - a value of a type registered with RegisterErrorType arrives as a
//     value of that type (syscall.Errno is registered, so errors.Is(err,
//     fs.ErrNotExist) holds for a failed open);
//   - any other error arrives as its message, with what it wrapped below
//     it (fmt.Errorf's %w, errors.Join): the same Error() text, and
//     errors.Is/As look through it.
//
// Register at package initialisation, as tasks are: parent and child are
// the same binary and find a registration by the order and place it was
// made in, never by code.

func init() {
	for _, err := range []error{ErrNoMain, ErrUnknownTask, ErrTerminated, ErrInterrupted, ErrParentDied} {
		RegisterError(err)
	}
}

// RegisterError makes err, a sentinel error value, arrive in a parent as
// itself, so that errors.Is(err, ErrX) holds there for a task's error that
// wraps ErrX. Call it at package initialisation:
//
//	var ErrQuota = process.RegisterError(errors.New("over quota"))
//
// It returns err. A value whose type cannot be compared panics (register
// its type instead); registering a value twice is harmless.
func RegisterError(err error) error {
	if rerr := wire.RegisterError(err); rerr != nil {
		panic(fmt.Sprintf("process: %v", rerr))
	}
	return err
}

// RegisterErrorType makes errors of type E arrive in a parent as values of
// E, so that errors.As works there; c encodes them (nil: the automatic
// codec, gob for structs). Call it at package initialisation:
//
//	func init() { process.RegisterErrorType[*QuotaError](nil) }
//
// A value the codec cannot encode (gob refuses an interface field holding
// an unregistered type, such as a wrapped error) arrives as its message
// and wrapped chain instead. An interface type, or a second type of the
// same name, panics.
func RegisterErrorType[E error](c codec.Codec[E]) {
	if c == nil {
		c = wire.Auto[E]{}
	}
	if err := wire.RegisterErrorType(c); err != nil {
		panic(fmt.Sprintf("process: %v", err))
	}
}
