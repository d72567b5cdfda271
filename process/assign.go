package process

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// assignment is what a parent sends a spare child when Start hands it a
// task: everything a cold child reads from its environment and its fixed
// descriptors, except the argument, which follows it as the same frame a
// cold child reads. It travels as one frame on the spare's socket, with
// the descriptors attached (SCM_RIGHTS): the task's standard output and
// error, the anonymous segments in the order of Segs, then the caller's
// files.
type assignment struct {
	Task     string
	Name     string
	Env      []string // WithEnv's KEY=value entries, applied with os.Setenv
	Segs     []uint64 // ids of the anonymous segments passed
	Files    int      // how many of the caller's files follow them
	Grace    time.Duration
	Deadline int64 // Unix nanoseconds; 0: none
}

// assignVersion is the first byte of an assignment: parent and spare are
// the same binary, so it only guards against reading something else.
const assignVersion = 1

// maxAssign bounds an assignment frame (names, environment entries): the
// argument travels after it, in its own frame.
const maxAssign = 1 << 20

var errBadAssign = errors.New("malformed assignment")

func (a *assignment) append(b []byte) []byte {
	b = append(b, assignVersion)
	b = appendString(b, a.Task)
	b = appendString(b, a.Name)
	b = binary.AppendUvarint(b, uint64(len(a.Env)))
	for _, kv := range a.Env {
		b = appendString(b, kv)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Segs)))
	for _, id := range a.Segs {
		b = binary.LittleEndian.AppendUint64(b, id)
	}
	b = binary.AppendUvarint(b, uint64(a.Files))
	b = binary.AppendUvarint(b, uint64(a.Grace))
	return binary.AppendVarint(b, a.Deadline)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// parseAssignment reads what append wrote; every count and length is
// checked against what is left, so garbage is an error, never a panic or
// a huge allocation.
func parseAssignment(b []byte) (assignment, error) {
	var a assignment
	p := parser{b: b}
	if v := p.byte(); v != assignVersion {
		return a, fmt.Errorf("%w: version %d", errBadAssign, v)
	}
	a.Task, a.Name = p.string(), p.string()
	if n := p.count(1); n > 0 {
		a.Env = make([]string, n)
		for i := range a.Env {
			a.Env[i] = p.string()
		}
	}
	if n := p.count(8); n > 0 {
		a.Segs = make([]uint64, n)
		for i := range a.Segs {
			a.Segs[i] = p.uint64()
		}
	}
	a.Files = p.count(0)
	a.Grace = time.Duration(p.uvarint())
	a.Deadline = p.varint()
	if p.err == nil && len(p.b) != 0 {
		p.err = fmt.Errorf("%w: %d bytes left over", errBadAssign, len(p.b))
	}
	if p.err == nil && (a.Task == "" || a.Grace < 0) {
		p.err = fmt.Errorf("%w: task %q, grace %v", errBadAssign, a.Task, a.Grace)
	}
	return a, p.err
}

// parser reads an assignment; the first error sticks and later reads
// return zero values.
type parser struct {
	b   []byte
	err error
}

func (p *parser) fail(what string) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: %s", errBadAssign, what)
	}
	p.b = nil
}

func (p *parser) byte() byte {
	if len(p.b) < 1 {
		p.fail("short")
		return 0
	}
	v := p.b[0]
	p.b = p.b[1:]
	return v
}

func (p *parser) uvarint() uint64 {
	v, n := binary.Uvarint(p.b)
	if n <= 0 {
		p.fail("bad number")
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *parser) varint() int64 {
	v, n := binary.Varint(p.b)
	if n <= 0 {
		p.fail("bad number")
		return 0
	}
	p.b = p.b[n:]
	return v
}

// count reads a count of items of at least size bytes each (0: not
// bounded by the bytes left, but by the descriptors a message carries).
func (p *parser) count(size int) int {
	n := p.uvarint()
	limit := uint64(len(p.b))
	if size > 0 {
		limit /= uint64(size)
	} else {
		limit = 1 << 16
	}
	if n > limit {
		p.fail("count out of range")
		return 0
	}
	return int(n)
}

func (p *parser) string() string {
	n := p.count(1)
	s := string(p.b[:n])
	p.b = p.b[n:]
	return s
}

func (p *parser) uint64() uint64 {
	if len(p.b) < 8 {
		p.fail("short")
		return 0
	}
	v := binary.LittleEndian.Uint64(p.b)
	p.b = p.b[8:]
	return v
}

// deadlineOf turns the wire's deadline back into a time (zero: none).
func deadlineOf(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
