package manager

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"iter"
	"reflect"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/shm"
)

// TypedDict is a Dict of V values: every call goes to the underlying Dict
// (local or remote) through a Codec. A value that fails to decode is an
// error that names its key.
type TypedDict[V any] struct {
	d Dict
	c codec.Codec[V]
}

// Typed returns a TypedDict over d with codec c. When c is nil: for a
// pointer to a shared object (*List, *LocalDict, *Set, *ring.Queue[E]…)
// ProxyCodec's, so that the dict holds live proxies (a dict of lists);
// codec.Default otherwise (String, Bytes, Raw for plain types such as int
// or a struct of numbers, Gob for anything else gob carries), the codec
// ring's Queue uses too.
func Typed[V any](d Dict, c codec.Codec[V]) *TypedDict[V] {
	if c == nil {
		c = defaultCodec[V]()
	}
	return &TypedDict[V]{d: d, c: c}
}

// String describes t as `TypedDict[int]: Dict "squares" (3 keys)`: the
// value type and the dict underneath's own String (never the contents).
func (t *TypedDict[V]) String() string {
	return fmt.Sprintf("TypedDict[%s]: %v", reflect.TypeFor[V](), t.d)
}

// Dict returns the untyped dict underneath.
func (t *TypedDict[V]) Dict() Dict { return t.d }

// MarshalBinary encodes the underlying dict (a LocalDict's handle), so a
// TypedDict travels to a child; the codec does not travel: the child's
// decoded TypedDict uses Typed's default unless it had one set.
func (t *TypedDict[V]) MarshalBinary() ([]byte, error) {
	ld, ok := t.d.(*LocalDict)
	if !ok {
		return nil, fmt.Errorf("only a TypedDict over a LocalDict can be sent to a child: %w", ErrProtocol)
	}
	return ld.MarshalBinary()
}

// UnmarshalBinary attaches the LocalDict a handle names.
func (t *TypedDict[V]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, t) }

// AttachHandle attaches t to the LocalDict h names (see shm.AttachAs),
// with Typed's default codec unless t had a codec set.
func (t *TypedDict[V]) AttachHandle(h shm.Handle) error {
	var ld LocalDict
	if err := ld.AttachHandle(h); err != nil {
		return err
	}
	t.d = &ld
	if t.c == nil {
		t.c = defaultCodec[V]()
	}
	return nil
}

func (t *TypedDict[V]) decode(key string, b []byte) (V, error) {
	v, err := t.c.Decode(b)
	if err != nil {
		return v, fmt.Errorf("decoding the value of %q: %w", truncate(key), err)
	}
	return v, nil
}

// Get returns key's value and whether it is present.
func (t *TypedDict[V]) Get(ctx context.Context, key string) (V, bool, error) {
	var zero V
	b, ok, err := t.d.Get(ctx, key)
	if err != nil || !ok {
		return zero, ok, err
	}
	v, err := t.decode(key, b)
	return v, err == nil, err
}

// Set sets key to v.
func (t *TypedDict[V]) Set(ctx context.Context, key string, v V) error {
	b, err := t.c.Encode(nil, v)
	if err != nil {
		return fmt.Errorf("encoding the value of %q: %w", truncate(key), err)
	}
	return t.d.Set(ctx, key, b)
}

// Delete removes key and reports whether it was present.
func (t *TypedDict[V]) Delete(ctx context.Context, key string) (bool, error) {
	return t.d.Delete(ctx, key)
}

// Contains reports whether key is present.
func (t *TypedDict[V]) Contains(ctx context.Context, key string) (bool, error) {
	return t.d.Contains(ctx, key)
}

// Len returns the number of keys.
func (t *TypedDict[V]) Len(ctx context.Context) (int, error) { return t.d.Len(ctx) }

// Clear removes every key.
func (t *TypedDict[V]) Clear(ctx context.Context) error { return t.d.Clear(ctx) }

// Pop removes key and returns its value, if present.
func (t *TypedDict[V]) Pop(ctx context.Context, key string) (V, bool, error) {
	var zero V
	b, ok, err := t.d.Pop(ctx, key)
	if err != nil || !ok {
		return zero, ok, err
	}
	v, err := t.decode(key, b)
	return v, true, err
}

// PopItem removes and returns some key and its decoded value (Python's
// popitem); ok false when the dict is empty. A value that does not decode
// is still removed, and the error names its key.
func (t *TypedDict[V]) PopItem(ctx context.Context) (string, V, bool, error) {
	var zero V
	k, b, ok, err := t.d.PopItem(ctx)
	if err != nil || !ok {
		return k, zero, ok, err
	}
	v, err := t.decode(k, b)
	return k, v, true, err
}

// Update replaces key's value atomically by fn's result (see Dict.Update).
// A present value that does not decode fails the Update and is left as is.
func (t *TypedDict[V]) Update(ctx context.Context, key string, fn func(old V, ok bool) (V, bool)) error {
	var ferr error
	err := t.d.Update(ctx, key, func(old []byte, ok bool) ([]byte, bool) {
		ferr = nil
		var ov V
		if ok {
			if ov, ferr = t.decode(key, old); ferr != nil {
				return old, true
			}
		}
		nv, keep := fn(ov, ok)
		if !keep {
			return nil, false
		}
		var b []byte
		if b, ferr = t.c.Encode(nil, nv); ferr != nil {
			return old, ok
		}
		return b, true
	})
	if err != nil {
		return err
	}
	return ferr
}

// Items yields every key and decoded value (weakly consistent, see Dict);
// a value that fails to decode ends the iteration.
func (t *TypedDict[V]) Items(ctx context.Context) iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for k, b := range t.d.Items(ctx) {
			v, err := t.decode(k, b)
			if err != nil || !yield(k, v) {
				return
			}
		}
	}
}

// Keys yields every key (weakly consistent, see Dict).
func (t *TypedDict[V]) Keys(ctx context.Context) iter.Seq[string] { return t.d.Keys(ctx) }

// Snapshot returns a decoded copy of the whole dict, taken atomically.
func (t *TypedDict[V]) Snapshot(ctx context.Context) (map[string]V, error) {
	m, err := t.d.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]V, len(m))
	for k, b := range m {
		if out[k], err = t.decode(k, b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// encodeValue gob-encodes v as its own concrete type (not as an
// interface, which would need gob.Register).
func encodeValue(v any) ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(v)
	return b.Bytes(), err
}

func decodeInto(b []byte, ptr any) error {
	return gob.NewDecoder(bytes.NewReader(b)).Decode(ptr)
}

// truncate shortens a key for an error message.
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
