package manager

import (
	"context"
	"fmt"
	"iter"
	"reflect"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/shm"
)

// TypedList is a List of V values: every call goes to the List through a
// Codec, each atomic as the List's. A value that fails to decode is an
// error that names its index. Index and Remove compare encodings: they
// find a value only with a codec that encodes equal values alike (handles
// and codec.Raw do; gob does not for maps).
type TypedList[V any] struct {
	l *List
	c codec.Codec[V]
}

// TypedListOf returns a TypedList over l with codec c (nil: as Typed's,
// ProxyCodec's for a pointer to a shared object, so that a list holds
// live proxies; codec.Default otherwise).
func TypedListOf[V any](l *List, c codec.Codec[V]) *TypedList[V] {
	if c == nil {
		c = defaultCodec[V]()
	}
	return &TypedList[V]{l: l, c: c}
}

// List returns the untyped list underneath.
func (t *TypedList[V]) List() *List { return t.l }

// String describes t as `TypedList[int]: List "squares" (3 elements)`.
func (t *TypedList[V]) String() string {
	return fmt.Sprintf("TypedList[%s]: %v", reflect.TypeFor[V](), t.l)
}

func (t *TypedList[V]) encode(vs ...V) ([][]byte, error) {
	out := make([][]byte, len(vs))
	for i, v := range vs {
		b, err := t.c.Encode(nil, v)
		if err != nil {
			return nil, fmt.Errorf("encoding a list value: %w", err)
		}
		out[i] = b
	}
	return out, nil
}

func (t *TypedList[V]) decode(i int, b []byte) (V, error) {
	v, err := t.c.Decode(b)
	if err != nil {
		return v, fmt.Errorf("decoding element %d: %w", i, err)
	}
	return v, nil
}

// Append adds v at the end and returns its index.
func (t *TypedList[V]) Append(ctx context.Context, v V) (int, error) {
	b, err := t.encode(v)
	if err != nil {
		return 0, err
	}
	return t.l.Append(ctx, b[0])
}

// Extend appends vs, all or none.
func (t *TypedList[V]) Extend(ctx context.Context, vs ...V) error {
	bs, err := t.encode(vs...)
	if err != nil {
		return err
	}
	return t.l.Extend(ctx, bs...)
}

// Insert inserts v before element i (List.Insert's indexes).
func (t *TypedList[V]) Insert(ctx context.Context, i int, v V) error {
	b, err := t.encode(v)
	if err != nil {
		return err
	}
	return t.l.Insert(ctx, i, b[0])
}

// Get returns element i (negative counts from the end).
func (t *TypedList[V]) Get(ctx context.Context, i int) (V, error) {
	b, err := t.l.Get(ctx, i)
	if err != nil {
		var zero V
		return zero, err
	}
	return t.decode(i, b)
}

// Set replaces element i (negative counts from the end).
func (t *TypedList[V]) Set(ctx context.Context, i int, v V) error {
	b, err := t.encode(v)
	if err != nil {
		return err
	}
	return t.l.Set(ctx, i, b[0])
}

// Pop removes and returns element i (-1: the last).
func (t *TypedList[V]) Pop(ctx context.Context, i int) (V, error) {
	b, err := t.l.Pop(ctx, i)
	if err != nil {
		var zero V
		return zero, err
	}
	return t.decode(i, b)
}

// Delete removes element i.
func (t *TypedList[V]) Delete(ctx context.Context, i int) error { return t.l.Delete(ctx, i) }

// Index returns the index of the first element whose encoding is v's.
func (t *TypedList[V]) Index(ctx context.Context, v V) (int, error) {
	b, err := t.encode(v)
	if err != nil {
		return 0, err
	}
	return t.l.Index(ctx, b[0])
}

// Remove removes the first element whose encoding is v's.
func (t *TypedList[V]) Remove(ctx context.Context, v V) error {
	b, err := t.encode(v)
	if err != nil {
		return err
	}
	return t.l.Remove(ctx, b[0])
}

// Len returns the number of elements.
func (t *TypedList[V]) Len(ctx context.Context) (int, error) { return t.l.Len(ctx) }

// Snapshot returns every element decoded, taken atomically.
func (t *TypedList[V]) Snapshot(ctx context.Context) ([]V, error) {
	bs, err := t.l.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]V, len(bs))
	for i, b := range bs {
		if out[i], err = t.decode(i, b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// All yields the index and decoded value of every element of a Snapshot;
// a value that fails to decode ends the iteration.
func (t *TypedList[V]) All(ctx context.Context) iter.Seq2[int, V] {
	return func(yield func(int, V) bool) {
		for i, b := range t.l.All(ctx) {
			v, err := t.decode(i, b)
			if err != nil || !yield(i, v) {
				return
			}
		}
	}
}

// MarshalBinary encodes the List's handle, so a TypedList travels to a
// child; the codec does not travel (the child's gets TypedListOf's
// default unless it had one set).
func (t *TypedList[V]) MarshalBinary() ([]byte, error) { return t.l.MarshalBinary() }

// UnmarshalBinary attaches the List a handle names.
func (t *TypedList[V]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, t) }

// AttachHandle attaches t to the List h names (see shm.AttachAs).
func (t *TypedList[V]) AttachHandle(h shm.Handle) error {
	var l List
	if err := l.AttachHandle(h); err != nil {
		return err
	}
	t.l = &l
	if t.c == nil {
		t.c = defaultCodec[V]()
	}
	return nil
}
