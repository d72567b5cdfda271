package pool

import (
	"context"
	"errors"
	"fmt"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
)

// Records of any size. A ring record is at most the ring's MaxMessage
// (Options.RingSize less 16 bytes); a chunk of inputs, a result or an
// error larger than that travels as a run of piece records,
//
//	piece   'P' bytes      (every piece but the last)
//	last    'L' bytes      (the last piece)
//
// whose bytes, put end to end, are the record. Pieces are a quarter of the
// ring each, so that the writer fills one while the reader copies out
// another. The reader copies each piece out and releases it at once; the
// ring itself is unchanged.
//
// No deadlock: a worker reads its task ring only between chunks, so the
// pool sends a chunk in pieces only when its worker has nothing in flight
// (it is then reading); the pool reads results whenever it has work in
// flight, so a worker's pieces always drain.
//
// What a death leaves: a reader that dies mid-record has released pieces
// of a record whose last piece is still in the ring (so the pool still
// counts that chunk as not taken, see resetTasks); a writer that dies
// mid-record leaves pieces without a last one, which the pool drops with
// the rest of the dead worker's ring.

const (
	recPiece = 'P'
	recLast  = 'L'

	// MaxMessage is the hard limit on one input, one result and one error
	// (and on a chunk of inputs, which Map keeps far smaller): larger ones
	// fail with ErrTooLarge. Anything below it travels whatever
	// Options.RingSize is.
	MaxMessage = 1 << 30
)

// ErrTooLarge: an input, a result or an error over MaxMessage bytes.
var ErrTooLarge = process.RegisterError(errors.New("message over the pool's 1 GiB limit"))

// errBroken: a record that breaks the protocol.
var errBroken = errors.New("malformed record")

// pieceSize is how many bytes of a record each piece carries.
func pieceSize(r *ring.Ring) int { return max(r.MaxMessage()/4-1, 1) }

// writeRecord writes rec to r as one record, or in pieces when it does not
// fit one; quiet leaves a sleeping reader asleep for a single record (see
// ring's WriteQuiet).
func writeRecord(ctx context.Context, r *ring.Ring, rec []byte, quiet bool) error {
	if len(rec) <= r.MaxMessage() {
		if quiet {
			return r.WriteQuiet(ctx, rec)
		}
		return r.Write(ctx, rec)
	}
	n := pieceSize(r)
	for len(rec) > 0 {
		k := min(n, len(rec))
		b, err := r.Reserve(ctx, k+1)
		if err != nil {
			return err
		}
		b[0] = recPiece
		if k == len(rec) {
			b[0] = recLast
		}
		copy(b[1:], rec[:k])
		r.Commit()
		rec = rec[k:]
	}
	return nil
}

// assembler puts pieces back together on the reading side.
type assembler struct {
	buf     []byte
	pending bool // pieces came, the last one not yet
}

// add takes a record just peeked from a ring. It returns the whole record
// and true when rec completes one (rec itself when it is no piece; then it
// aliases the ring), or false after a piece, which the caller releases
// before it reads on.
func (a *assembler) add(rec []byte) ([]byte, bool, error) {
	if len(rec) == 0 {
		return nil, false, errBroken
	}
	switch rec[0] {
	case recPiece, recLast:
		if len(a.buf)+len(rec)-1 > MaxMessage+chunkHdr+1<<16 {
			a.reset()
			return nil, false, fmt.Errorf("%w: a record over the limit", errBroken)
		}
		a.buf = append(a.buf, rec[1:]...)
		a.pending = true
		if rec[0] == recPiece {
			return nil, false, nil
		}
		whole := a.buf
		a.buf, a.pending = nil, false
		return whole, true, nil
	}
	if a.pending {
		a.reset()
		return nil, false, fmt.Errorf("%w: a record inside another's pieces", errBroken)
	}
	return rec, true, nil
}

// reset drops a partial record (its writer died).
func (a *assembler) reset() { a.buf, a.pending = nil, false }
