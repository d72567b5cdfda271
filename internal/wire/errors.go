package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"sync"
	"syscall"

	"github.com/shmkit/shmkit/codec"
)

// Errors cross from a task to its parent as a tree that mirrors the
// error's wrapping (Unwrap() error and Unwrap() []error), one node per
// error, each one of:
//
//   - a registered sentinel (RegisterError): the parent gets the very
//     value it registered, so errors.Is finds it;
//   - a value of a registered type (RegisterErrorType), encoded by its
//     codec: the parent gets a value of that type, so errors.As finds it;
//   - text: the error's message, with its wrapped errors below it.
//
// Every node keeps its message, so a rebuilt error prints as the original
// did. Parent and child are the same binary, whose package initialisation
// registered the same sentinels and types in the same order: a key names
// a registration, never code.
//
// The encoding, little-endian, uvarint lengths:
//
//	node  kind:u8 msg:str key:str data:str n:uvarint node×n
//	str   len:uvarint bytes
//
// Decoding checks every length and bounds the tree (maxNodes, maxDepth):
// a malformed message is an error, never a panic.
const (
	nodeText     = 0
	nodeSentinel = 1
	nodeTyped    = 2

	maxDepth = 32
	maxNodes = 256
)

var errTable = struct {
	sync.RWMutex
	sentinels map[error]string // value -> key; only comparable values
	byKey     map[string]error
	types     map[reflect.Type]errType
	typeByKey map[string]errType
	dup       map[string]int // how many sentinels share a type and message
}{
	sentinels: map[error]string{}, byKey: map[string]error{},
	types: map[reflect.Type]errType{}, typeByKey: map[string]errType{}, dup: map[string]int{},
}

type errType struct {
	key    string
	encode func(error) ([]byte, error)
	decode func([]byte) (error, error)
}

func init() {
	for _, err := range []error{
		context.Canceled, context.DeadlineExceeded, io.EOF, io.ErrUnexpectedEOF,
		os.ErrNotExist, os.ErrExist, os.ErrPermission, os.ErrClosed, os.ErrInvalid,
		os.ErrDeadlineExceeded, os.ErrProcessDone, errors.ErrUnsupported,
		codec.ErrMalformed, // codec sits below wire: wire registers it
	} {
		RegisterError(err)
	}
	// An errno keeps its Is method (ENOENT is fs.ErrNotExist) across.
	RegisterErrorType[syscall.Errno](Auto[syscall.Errno]{})
}

// RegisterError makes err, a sentinel value, arrive in a parent as itself.
// Sentinels of the same type and message are told apart by the order they
// were registered in, which package initialisation fixes. A value
// registered again is left as it is; a value whose type cannot be
// compared (a map key) is refused with an error.
func RegisterError(err error) error {
	if err == nil {
		return fmt.Errorf("registering a nil error: %w", errInvalid)
	}
	t := reflect.TypeOf(err)
	if !t.Comparable() {
		return fmt.Errorf("registering a %v: not comparable, register its type instead: %w", t, errInvalid)
	}
	errTable.Lock()
	defer errTable.Unlock()
	if _, ok := errTable.sentinels[err]; ok {
		return nil
	}
	key := typeKey(t) + ":" + err.Error()
	n := errTable.dup[key]
	errTable.dup[key] = n + 1
	if n > 0 {
		key += "#" + strconv.Itoa(n)
	}
	errTable.sentinels[err] = key
	errTable.byKey[key] = err
	return nil
}

// RegisterErrorType makes values of E arrive in a parent as values of E,
// encoded by c. A value c cannot encode (gob cannot encode an interface
// field holding an unregistered type, such as a wrapped error) arrives as
// text, its wrapped errors below it. Registering a type twice keeps the
// first codec.
func RegisterErrorType[E error](c codec.Codec[E]) error {
	t := reflect.TypeFor[E]()
	if t.Kind() == reflect.Interface {
		return fmt.Errorf("registering error type %v: an interface: %w", t, errInvalid)
	}
	et := errType{
		key: typeKey(t),
		encode: func(err error) ([]byte, error) {
			return c.Encode(nil, err.(E))
		},
		decode: func(b []byte) (error, error) {
			e, err := c.Decode(b)
			return e, err
		},
	}
	errTable.Lock()
	defer errTable.Unlock()
	if _, ok := errTable.types[t]; ok {
		return nil
	}
	if _, ok := errTable.typeByKey[et.key]; ok {
		return fmt.Errorf("registering error type %v: another type is named %s: %w", t, et.key, errInvalid)
	}
	errTable.types[t] = et
	errTable.typeByKey[et.key] = et
	return nil
}

// typeKey names a type by its package path, which reflect's String does
// not include.
func typeKey(t reflect.Type) string {
	if t.Name() == "" && t.Kind() == reflect.Pointer {
		return "*" + typeKey(t.Elem())
	}
	if t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return t.String()
}

// AppendError appends err's tree to b.
func AppendError(b []byte, err error) []byte {
	nodes := 0
	return appendNode(b, err, 0, &nodes)
}

func appendNode(b []byte, err error, depth int, nodes *int) []byte {
	*nodes++
	msg := err.Error()
	kind, key, data := byte(nodeText), "", []byte(nil)
	if k, ok := sentinelKey(err); ok {
		kind, key = nodeSentinel, k
	}
	errTable.RLock()
	et, typed := errTable.types[reflect.TypeOf(err)]
	errTable.RUnlock()
	if kind == nodeText && typed {
		if d, err := et.encode(err); err == nil {
			kind, key, data = nodeTyped, et.key, d
		}
	}
	b = append(b, kind)
	b = appendStr(b, msg)
	b = appendStr(b, key)
	b = appendStr(b, string(data))
	var below []error
	if kind != nodeSentinel && depth < maxDepth {
		below = unwrap(err)
	}
	n := 0
	for _, e := range below {
		if e != nil && *nodes+n < maxNodes {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	for _, e := range below {
		if n == 0 {
			break
		}
		if e != nil {
			b = appendNode(b, e, depth+1, nodes)
			n--
		}
	}
	return b
}

// sentinelKey returns the key err was registered under. A comparable
// type may still hold an uncomparable value in an interface field, which
// panics as a map key: that is no sentinel.
func sentinelKey(err error) (key string, ok bool) {
	if !reflect.TypeOf(err).Comparable() {
		return "", false
	}
	defer func() {
		if recover() != nil {
			key, ok = "", false
		}
	}()
	errTable.RLock()
	defer errTable.RUnlock()
	key, ok = errTable.sentinels[err]
	return key, ok
}

func unwrap(err error) []error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return []error{u.Unwrap()}
	case interface{ Unwrap() []error }:
		return u.Unwrap()
	}
	return nil
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// ParseError rebuilds the error AppendError encoded, and returns the
// bytes after it.
func ParseError(b []byte) (error, []byte, error) {
	p := errParser{b: b}
	err := p.node(0)
	if p.bad != nil {
		return nil, nil, p.bad
	}
	return err, p.b, nil
}

type errParser struct {
	b     []byte
	nodes int
	bad   error
}

func (p *errParser) fail() {
	if p.bad == nil {
		p.bad = fmt.Errorf("malformed error encoding: %w", errInvalid)
	}
}

func (p *errParser) str() string {
	n, k := binary.Uvarint(p.b)
	if k <= 0 || n > uint64(len(p.b)-k) {
		p.fail()
		p.b = nil
		return ""
	}
	s := string(p.b[k : k+int(n)])
	p.b = p.b[k+int(n):]
	return s
}

func (p *errParser) node(depth int) error {
	if p.nodes++; len(p.b) < 1 || depth > maxDepth || p.nodes > maxNodes {
		p.fail()
		return nil
	}
	kind := p.b[0]
	p.b = p.b[1:]
	msg, key, data := p.str(), p.str(), p.str()
	n, k := binary.Uvarint(p.b)
	if p.bad != nil || k <= 0 || n > maxNodes {
		p.fail()
		return nil
	}
	p.b = p.b[k:]
	var below []error
	for range n {
		e := p.node(depth + 1)
		if p.bad != nil {
			return nil
		}
		below = append(below, e)
	}
	switch kind {
	case nodeSentinel:
		errTable.RLock()
		e, ok := errTable.byKey[key]
		errTable.RUnlock()
		if ok {
			return e
		}
	case nodeTyped:
		errTable.RLock()
		et, ok := errTable.typeByKey[key]
		errTable.RUnlock()
		if ok {
			if e, err := et.decode([]byte(data)); err == nil && e != nil {
				if len(below) == 0 {
					return e
				}
				return &RemoteError{msg: msg, below: append([]error{e}, below...)}
			}
		}
	case nodeText:
	default:
		p.fail()
		return nil
	}
	return &RemoteError{msg: msg, below: below}
}

// RemoteError is an error that crossed from another process as text: its
// message, and below it the errors it wrapped there (as values, where
// registered; as RemoteErrors otherwise), so that errors.Is and errors.As
// look through it.
type RemoteError struct {
	msg   string
	below []error
}

func (e *RemoteError) Error() string { return e.msg }

// Unwrap returns the errors it wrapped in the other process.
func (e *RemoteError) Unwrap() []error { return e.below }
