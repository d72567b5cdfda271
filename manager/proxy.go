package manager

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/shm"
)

// Proxies nested in containers (CPython's dict of lists, list of dicts,
// dict of queues): a shared object stored as a value is its handle, and
// reading it back attaches a live proxy in the reading process. The object
// itself stays where it is; the container holds only its name, so a change
// made through either proxy is seen through the other.
//
// A handle is good in any process that maps the object's segment: the
// creator, the children it starts (package process carries the segment),
// and processes that open a named segment. Deleting the value does not
// delete the object.

// ProxyCodec returns the codec of shared objects of type *T (a
// *LocalDict, *List, *Set, *Namespace, *ring.Queue[E], …): Encode stores
// the object's handle, Decode attaches the object it names in this
// process. Typed and TypedListOf pick it by themselves for such a value
// type; pass it where a codec.Codec is asked for one explicitly:
//
//	lists := manager.Typed(d, manager.ProxyCodec[manager.List]())
//	lists.Set(ctx, "a", l)
//	a, _, _ := lists.Get(ctx, "a") // a live *manager.List
func ProxyCodec[T any, P interface {
	*T
	shm.Attacher
	encoding.BinaryMarshaler
}]() codec.Codec[P] {
	return proxyCodec[P]{}
}

// proxyCodec encodes a pointer to a shared object; P implements
// shm.Attacher and encoding.BinaryMarshaler (checked by ProxyCodec's
// constraint, or by defaultCodec).
type proxyCodec[P any] struct{}

// errNilProxy: a nil proxy has no handle to store.
var errNilProxy = errors.New("a nil proxy has no handle")

func (proxyCodec[P]) Encode(scratch []byte, v P) ([]byte, error) {
	if rv := reflect.ValueOf(v); !rv.IsValid() || rv.IsNil() {
		return nil, fmt.Errorf("storing a %s: %w", reflect.TypeFor[P](), errNilProxy)
	}
	b, err := any(v).(encoding.BinaryMarshaler).MarshalBinary()
	return append(scratch[:0], b...), err
}

func (proxyCodec[P]) Decode(b []byte) (P, error) {
	p := reflect.New(reflect.TypeFor[P]().Elem()).Interface().(P)
	if err := shm.UnmarshalHandle(b, any(p).(shm.Attacher)); err != nil {
		var zero P
		return zero, fmt.Errorf("attaching a %s: %w", reflect.TypeFor[P](), err)
	}
	return p, nil
}

var (
	attacherType  = reflect.TypeFor[shm.Attacher]()
	marshalerType = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// defaultCodec is the codec of a typed container with none given:
// ProxyCodec's for a pointer to a shared object, codec.Default otherwise
// (the one ring's Queue and tasks use: String, Bytes, Raw for plain
// types, Gob for the rest).
func defaultCodec[V any]() codec.Codec[V] {
	t := reflect.TypeFor[V]()
	if t.Kind() == reflect.Pointer && t.Implements(attacherType) && t.Implements(marshalerType) {
		return proxyCodec[V]{}
	}
	return codec.Default[V]()
}
