package remote

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/shmkit/shmkit/codec"
)

// Object is a proxy for an object of a type registered on the server
// (Server.Register), CPython's proxy from manager.Foo(): Call runs one of
// the methods the type exposes, on the server. It holds the object alive
// there until Release.
type Object struct {
	c      *Client
	id     []byte
	typeid string
}

// Create asks the server for an object of the registered type typeid
// (os.ErrNotExist if none; ErrFull when the server holds its MaxObjects).
func (c *Client) Create(ctx context.Context, typeid string) (*Object, error) {
	o := &Object{c: c, typeid: typeid}
	err := c.call(ctx, opCreate, func(f frame) error {
		if len(f.fields) != 1 || len(f.fields[0]) != 8 {
			return fmt.Errorf("create reply: %w", ErrProtocol)
		}
		o.id = append([]byte(nil), f.fields[0]...)
		return nil
	}, []byte(typeid))
	if err != nil {
		return nil, err
	}
	return o, nil
}

// String describes o as `remote Foo #3 at host:port`.
func (o *Object) String() string {
	return fmt.Sprintf("remote %s #%d at %s", o.typeid, binary.LittleEndian.Uint64(o.id), o.c.addr)
}

// Call runs method on the object with arg and returns its result, both
// as the method's bytes (see Call[A, R] for typed ones). A method the type
// does not expose is os.ErrNotExist; the method's own error wraps
// ErrMethod, or is the sentinel it wrapped (io.EOF…).
//
// Calls share the Client's connection with its other calls: a method that
// blocks holds up those behind it until it returns (its context ends
// after the server's RequestTimeout). Use a Queue to wait for values.
func (o *Object) Call(ctx context.Context, method string, arg []byte) ([]byte, error) {
	var res []byte
	err := o.c.call(ctx, opCall, func(f frame) error {
		if len(f.fields) != 1 {
			return fmt.Errorf("call reply of %d fields: %w", len(f.fields), ErrProtocol)
		}
		res = append([]byte{}, f.fields[0]...)
		return nil
	}, o.id, []byte(method), arg)
	return res, err
}

// Release lets the server drop the object (another client's proxy to a
// shared object returned by the same create is not affected: each Create
// has its own id). Calls after it are os.ErrNotExist.
func (o *Object) Release(ctx context.Context) error {
	return o.c.call(ctx, opRelease, func(frame) error { return nil }, o.id)
}

// Call runs method on o with arg encoded by codec.Default[A] and decodes
// the result with codec.Default[R]: the other half of Expose.
func Call[A, R any](ctx context.Context, o *Object, method string, arg A) (R, error) {
	var r R
	b, err := codec.Default[A]().Encode(nil, arg)
	if err != nil {
		return r, fmt.Errorf("encoding the argument of %s: %w", method, err)
	}
	res, err := o.Call(ctx, method, b)
	if err != nil {
		return r, err
	}
	if r, err = codec.Default[R]().Decode(res); err != nil {
		return r, fmt.Errorf("decoding the result of %s: %w", method, err)
	}
	return r, nil
}
