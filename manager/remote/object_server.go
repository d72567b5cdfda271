package remote

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/manager/table"
)

// Registered types: CPython's BaseManager.register(typeid, callable,
// exposed=…), kept small. The server lists, per type, a function that
// makes an object and the methods clients may call, each by name with one
// argument and one result in bytes (Expose wraps a typed method with
// codec.Default). Nothing else of the object is reachable: no reflection
// over its methods, no attribute access. A client creates an object (its
// id comes back), calls its methods, and releases it.
//
// What a client can cost: at most MaxObjects live objects on the server
// (ErrFull past them), a frame's bytes per call, and a method's time up to
// RequestTimeout; a method that panics is an error reply, never the end
// of the server. Objects are the server's, not a connection's: they
// outlive a connection (the client reconnects) until released.

// Method is one method of a registered type that clients may call: its
// name, and what it does with the object, the call's context (it ends
// after the server's RequestTimeout, or when the server stops) and the
// argument's bytes.
type Method struct {
	Name string
	Call func(ctx context.Context, obj any, arg []byte) ([]byte, error)
}

// Expose makes fn a Method called name of objects of type O: its argument
// and result travel through codec.Default (String, Bytes, Raw for plain
// types, gob otherwise), as Call[A, R] on the client sends and reads them.
// A call on an object that is not an O is an error.
func Expose[O, A, R any](name string, fn func(ctx context.Context, obj O, arg A) (R, error)) Method {
	ac, rc := codec.Default[A](), codec.Default[R]()
	return Method{Name: name, Call: func(ctx context.Context, obj any, b []byte) ([]byte, error) {
		o, ok := obj.(O)
		if !ok {
			return nil, fmt.Errorf("method %s of a %T: %w", name, obj, os.ErrInvalid)
		}
		a, err := ac.Decode(b)
		if err != nil {
			return nil, fmt.Errorf("decoding the argument of %s: %w", name, err)
		}
		r, err := fn(ctx, o, a)
		if err != nil {
			return nil, err
		}
		return rc.Encode(nil, r)
	}}
}

type regType struct {
	name    string
	create  func() (any, error)
	methods map[string]Method
}

type object struct {
	typ *regType
	v   any
}

// registry holds the registered types and the live objects.
type registry struct {
	mu      sync.Mutex
	types   map[string]*regType
	objects map[uint64]*object
	next    uint64
}

// Register adds a type clients may create with Client.Create(typeid):
// create makes an object (a new one each time, or a shared one: CPython's
// get_queue returns the same queue to every caller) and methods are the
// only calls clients may make on it. Register before Serve, or while it
// runs; a typeid registered twice, an empty name, a nil function or two
// methods of one name are os.ErrInvalid.
func (s *Server) Register(typeid string, create func() (any, error), methods ...Method) error {
	if typeid == "" || create == nil {
		return fmt.Errorf("registering type %q: a name and a create function: %w", typeid, os.ErrInvalid)
	}
	t := &regType{name: typeid, create: create, methods: map[string]Method{}}
	for _, m := range methods {
		if m.Name == "" || m.Call == nil || t.methods[m.Name].Call != nil {
			return fmt.Errorf("registering type %q: method %q: unnamed, nil or twice: %w", typeid, m.Name, os.ErrInvalid)
		}
		t.methods[m.Name] = m
	}
	r := &s.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.types[typeid] != nil {
		return fmt.Errorf("type %q registered twice: %w", typeid, os.ErrInvalid)
	}
	if r.types == nil {
		r.types = map[string]*regType{}
	}
	r.types[typeid] = t
	return nil
}

func decodeID(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("object id of %d bytes: %w", len(b), ErrProtocol)
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (s *Server) serveObject(ctx context.Context, f frame, dst []byte) ([]byte, error) {
	r := &s.reg
	switch f.op {
	case opCreate:
		id, err := s.create(string(f.fields[0]))
		if err != nil {
			return nil, err
		}
		return appendFrame(dst, statusOK, binary.LittleEndian.AppendUint64(nil, id)), nil
	case opRelease:
		id, err := decodeID(f.fields[0])
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		_, ok := r.objects[id]
		delete(r.objects, id)
		r.mu.Unlock()
		return appendFrame(dst, yesNo(ok)), nil
	}
	id, err := decodeID(f.fields[0])
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	o := r.objects[id]
	r.mu.Unlock()
	if o == nil {
		return nil, fmt.Errorf("object %d: %w", id, os.ErrNotExist)
	}
	name := string(f.fields[1])
	m, ok := o.typ.methods[name]
	if !ok {
		return nil, fmt.Errorf("type %q exposes no method %q: %w", o.typ.name, truncate(name), os.ErrNotExist)
	}
	res, err := safely(s, func() ([]byte, error) { return m.Call(ctx, o.v, f.fields[2]) })
	if err != nil {
		if errCode(err) == codeOther {
			err = fmt.Errorf("%w: %s.%s: %v", ErrMethod, o.typ.name, name, err)
		}
		return nil, err
	}
	return appendFrame(dst, statusOK, res), nil
}

// create makes an object of type typeid and gives it an id.
func (s *Server) create(typeid string) (uint64, error) {
	r := &s.reg
	r.mu.Lock()
	t := r.types[typeid]
	n := len(r.objects)
	r.mu.Unlock()
	if t == nil {
		return 0, fmt.Errorf("no type %q registered: %w", truncate(typeid), os.ErrNotExist)
	}
	if n >= s.MaxObjects {
		return 0, fmt.Errorf("the server holds its %d objects (MaxObjects): release some: %w", n, table.ErrFull)
	}
	v, err := safely(s, t.create)
	if err != nil {
		return 0, fmt.Errorf("creating a %s: %w", t.name, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.objects == nil {
		r.objects = map[uint64]*object{}
	}
	r.next++
	r.objects[r.next] = &object{typ: t, v: v}
	return r.next, nil
}

// safely runs a user's function, a panic in it becoming its error (the
// stack goes to the server's log, not to the client).
func safely[T any](s *Server, fn func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.logf("registered type: panic: %v\n%s", p, debug.Stack())
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn()
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
