package manager

import (
	"context"
	"iter"
)

// Dict is the method set shared by the local proxy (LocalDict: the table in
// shared memory) and the remote one (RemoteDict: the same calls over TCP to
// a Serve'd Manager), so code written against Dict runs on either.
//
// Every method takes a context: a local call may wait for a stripe lock (a
// few microseconds; up to tens of milliseconds behind a killed holder), a
// remote one for the network. Keys are strings of arbitrary bytes; values
// are copied in and out, never aliased.
//
// Iteration (Keys, Values, Items) is weakly consistent: it visits the
// table a stripe at a time, each stripe copied under its lock, so every
// key present for the whole iteration is seen exactly once with a value it
// had, and keys set or deleted meanwhile may or may not be seen. It stops
// early and silently on an error (a context that ends, a corrupt table, a
// lost connection): use Snapshot, which is atomic and returns the error,
// when that matters.
type Dict interface {
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	Set(ctx context.Context, key string, val []byte) error
	Delete(ctx context.Context, key string) (deleted bool, err error)
	Contains(ctx context.Context, key string) (bool, error)
	Len(ctx context.Context) (int, error)
	Pop(ctx context.Context, key string) (val []byte, ok bool, err error)
	// PopItem removes and returns some key and its value (Python's
	// popitem); ok false when the dict is empty. Which key is not
	// specified.
	PopItem(ctx context.Context) (key string, val []byte, ok bool, err error)
	SetDefault(ctx context.Context, key string, val []byte) (actual []byte, loaded bool, err error)
	CompareAndSwap(ctx context.Context, key string, old, new []byte) (swapped bool, err error)
	CompareAndDelete(ctx context.Context, key string, old []byte) (deleted bool, err error)
	Update(ctx context.Context, key string, fn func(old []byte, ok bool) (new []byte, keep bool)) error
	// SetMany sets every key of items at once: all or (ErrFull,
	// ErrTooLarge) none. Over a LocalDict a process killed midway may
	// leave a part of them set, each entry whole.
	SetMany(ctx context.Context, items map[string][]byte) error
	Clear(ctx context.Context) error
	Snapshot(ctx context.Context) (map[string][]byte, error)
	Keys(ctx context.Context) iter.Seq[string]
	Values(ctx context.Context) iter.Seq[[]byte]
	Items(ctx context.Context) iter.Seq2[string, []byte]
	Close() error
}
