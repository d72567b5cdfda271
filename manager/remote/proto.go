package remote

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// The wire protocol, after the handshake (auth.go). Every message, request
// or reply, is one frame:
//
//	offset  size  field
//	0       4     length of the rest of the frame, ≤ the receiver's limit
//	4       1     op (request) or status (reply)
//	5       2     number of fields, ≤ maxFields
//	7       …     fields, each a 4-byte length and that many bytes
//
// All integers little-endian. A request's first field is the dict's name;
// then its key and values, as the op says (see ops below). A reply's status
// is statusOK, statusNo (absent, false, not swapped) or statusErr, whose
// fields are a one-byte error code and a message. The server answers a
// connection's requests in order, one reply each, so a client may send
// many before reading (Client pipelines: client.go).
//
// The decoder (parseFrame) checks every length against what is left of
// the frame before slicing, so a hostile frame is an error reply, never a
// panic or a large allocation: a frame's length is checked against the
// limit first, its buffer grows only as its bytes arrive (readFrame), and
// fields are slices of that buffer.
const (
	frameHeader = 7
	maxFields   = 1 << 16 // a SetMany of 32767 keys, or a Snapshot reply
	// DefaultMaxFrame bounds a frame (request or reply) by default.
	DefaultMaxFrame = 16 << 20
)

// Ops.
const (
	opOpen       = 1  // name, options (5×8 bytes) → ok
	opGet        = 2  // name, key → ok value | no
	opSet        = 3  // name, key, value → ok
	opDelete     = 4  // name, key → ok | no
	opContains   = 5  // name, key → ok | no
	opLen        = 6  // name → ok, 8-byte count
	opPop        = 7  // name, key → ok value | no
	opSetDefault = 8  // name, key, value → ok value (was there) | no value (set)
	opCAS        = 9  // name, key, old, new → ok | no
	opCAD        = 10 // name, key, old → ok | no
	opSetMany    = 11 // name, key, value, key, value… → ok
	opClear      = 12 // name → ok
	opSnapshot   = 13 // name → ok key, value, key, value…
	opPopItem    = 14 // name → ok key value | no
	// Queues (queue.go, queue_server.go). wait is 8 bytes of nanoseconds,
	// 0 for a Try; options are empty (the queue must exist) or capacity
	// and slot size, 8 bytes each.
	opQOpen = 15 // name, options → ok capacity, max message (8 bytes each)
	opQPut  = 16 // name, wait, value → ok | no (no room within the wait)
	opQGet  = 17 // name, wait → ok value | no (nothing within the wait)
	opQLen  = 18 // name → ok length, capacity (8 bytes each)
	// Registered types (object.go, object_server.go).
	opCreate  = 19 // typeid → ok object id (8 bytes)
	opCall    = 20 // object id, method, argument → ok result
	opRelease = 21 // object id → ok | no (no such object)
	opCount   = 22

	statusOK      = 0
	statusNo      = 1
	statusErr     = 2
	optionsFields = 5
)

// Error codes of a statusErr reply, so errors.Is works across the wire.
const (
	codeOther    = 0
	codeFull     = 1
	codeTooLarge = 2
	codeCorrupt  = 3
	codeProtocol = 4
	codeNotExist = 5
	codeExist    = 6
	codeWrong    = 7
	codeInvalid  = 8
	codeEOF      = 9  // io.EOF: a queue closed and drained, an iterator's end
	codeClosed   = 10 // os.ErrClosed: a Put to a closed queue
	codeMsgSize  = 11 // ring.ErrTooLarge: a message no queue slot run holds
	codeMethod   = 12 // ErrMethod: a registered method's own error
)

var codeErrs = []struct {
	code byte
	err  error
}{
	{codeFull, table.ErrFull}, {codeTooLarge, table.ErrTooLarge}, {codeCorrupt, table.ErrCorrupt},
	{codeProtocol, ErrProtocol}, {codeNotExist, os.ErrNotExist}, {codeExist, os.ErrExist},
	{codeWrong, shm.ErrWrongKind}, {codeInvalid, os.ErrInvalid},
	{codeEOF, io.EOF}, {codeClosed, os.ErrClosed}, {codeMsgSize, ring.ErrTooLarge}, {codeMethod, ErrMethod},
}

func errCode(err error) byte {
	for _, c := range codeErrs {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return codeOther
}

// remoteError rebuilds an error reply.
func remoteError(fields [][]byte) error {
	if len(fields) != 2 || len(fields[0]) != 1 {
		return fmt.Errorf("malformed error reply: %w", ErrProtocol)
	}
	msg := string(fields[1])
	for _, c := range codeErrs {
		if c.code == fields[0][0] {
			return fmt.Errorf("remote: %s: %w", msg, c.err)
		}
	}
	return fmt.Errorf("remote: %s", msg)
}

// frame is a decoded frame: op or status, and fields that are slices of
// the buffer it was read into.
type frame struct {
	op     byte
	fields [][]byte
}

// appendFrame encodes a frame onto dst.
func appendFrame(dst []byte, op byte, fields ...[]byte) []byte {
	n := 3
	for _, f := range fields {
		n += 4 + len(f)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	dst = append(dst, op)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(fields)))
	for _, f := range fields {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(f)))
		dst = append(dst, f...)
	}
	return dst
}

// frameSize is the encoded size of a frame with fields.
func frameSize(fields ...[]byte) int {
	n := 4 + 3
	for _, f := range fields {
		n += 4 + len(f)
	}
	return n
}

// readFrame reads one frame of at most max bytes (after its length word)
// into buf (grown if needed) and parses it. The returned frame's fields
// alias the returned buffer.
//
// The length word is checked against max, but not trusted for memory:
// when buf is too small, room is made as the frame's bytes arrive, at most
// frameChunk ahead of them at first and then doubling what has come, so a
// peer that declares a large frame and stalls costs frameChunk, not the
// size it declared.
func readFrame(r io.Reader, max int, buf []byte) (frame, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, buf, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return frame{}, buf, fmt.Errorf("frame of %d bytes (limit %d): %w", n, max, table.ErrTooLarge)
	}
	buf, err := readBody(r, int(n), buf)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return frame{}, buf, err
	}
	f, err := parseFrame(buf)
	return f, buf, err
}

// frameChunk is the most readFrame allocates for a frame ahead of its
// bytes.
const frameChunk = 64 << 10

// readBody reads n bytes into buf, growing it (when its capacity is short
// of n) only as the bytes arrive.
func readBody(r io.Reader, n int, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for len(buf) < n {
		if len(buf) == cap(buf) {
			b := make([]byte, len(buf), min(n, max(2*len(buf), frameChunk)))
			copy(b, buf)
			buf = b
		}
		m, err := io.ReadFull(r, buf[len(buf):min(n, cap(buf))])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// parseFrame decodes a frame's body (after its length word).
func parseFrame(b []byte) (frame, error) {
	if len(b) < 3 {
		return frame{}, fmt.Errorf("frame of %d bytes: %w", len(b), ErrProtocol)
	}
	f := frame{op: b[0]}
	count := int(binary.LittleEndian.Uint16(b[1:3]))
	rest := b[3:]
	if count > len(rest)/4 {
		return frame{}, fmt.Errorf("%d fields in %d bytes: %w", count, len(rest), ErrProtocol)
	}
	f.fields = make([][]byte, count)
	for i := range count {
		if len(rest) < 4 {
			return frame{}, fmt.Errorf("field %d: truncated length: %w", i, ErrProtocol)
		}
		n := binary.LittleEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return frame{}, fmt.Errorf("field %d of %d bytes, %d left: %w", i, n, len(rest), ErrProtocol)
		}
		f.fields[i] = rest[:n:n]
		rest = rest[n:]
	}
	if len(rest) != 0 {
		return frame{}, fmt.Errorf("%d bytes after the last field: %w", len(rest), ErrProtocol)
	}
	return f, nil
}

// encodeOptions and decodeOptions carry table.Options in an Open request.
func encodeOptions(o *table.Options) []byte {
	var v table.Options
	if o != nil {
		v = *o
	}
	var b []byte
	for _, x := range []int{v.Entries, v.Bytes, v.MaxKey, v.MaxValue, v.Stripes} {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}

func decodeOptions(b []byte) (*table.Options, error) {
	if len(b) != 8*optionsFields {
		return nil, fmt.Errorf("dict options of %d bytes: %w", len(b), ErrProtocol)
	}
	var x [optionsFields]int
	for i := range x {
		u := binary.LittleEndian.Uint64(b[8*i:])
		if u > 1<<40 {
			return nil, fmt.Errorf("dict option %d: %w", u, os.ErrInvalid)
		}
		x[i] = int(u)
	}
	return &table.Options{Entries: x[0], Bytes: x[1], MaxKey: x[2], MaxValue: x[3], Stripes: x[4]}, nil
}
