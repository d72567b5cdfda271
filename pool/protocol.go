package pool

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/shm"
)

// Wire format between a pool and its workers, one ring record each, over
// three SPSC rings per worker (tasks: parent → worker; results: worker →
// parent; control: parent → worker). Little-endian.
//
//	chunk   'C' id:u64 count:u32 deadline:i64 timeout:i64 nameLen:u16 name  (len:u32 arg)×count
//	result  'R' id:u64 index:u32 status:u8 payload   (status: ok, error, panic, stuck)
//	ready   'I' status:u8 message                   (first record of a worker)
//	cancel  'X' id:u64                              (control ring: the chunk's job ended)
//
// A chunk's deadline (Unix nanoseconds, 0 for none) is its job's ctx's,
// and its timeout (nanoseconds, 0 for none) bounds each input.
//
// A worker processes chunks in order, frees a chunk's record from its task
// ring before it runs the chunk's first item, and answers every item of a
// chunk in order. So the parent always knows which item a dead worker held:
// the first one without a result of the oldest chunk whose record is no
// longer in the ring (if any: a worker may also exit between chunks).
const (
	recChunk  = 'C'
	recResult = 'R'
	recReady  = 'I'
	recCancel = 'X'

	statusOK    = 0
	statusErr   = 1
	statusPanic = 2
	// statusStuck: the item's ctx ended and it did not return within the
	// grace period; the worker answered it for the task (payload: the
	// error) and exits without running another item.
	statusStuck = 3

	chunkHdr = 1 + 8 + 4 + 8 + 8 + 2
)

type workerArg struct {
	Tasks, Results, Control shm.Handle
	Init                    string
	InitArg                 []byte
	MaxTasksPerChild        int
	Grace                   time.Duration
}

// chunkHead is what a chunk record says besides its arguments.
type chunkHead struct {
	id       uint64
	task     string
	deadline int64 // Unix nanoseconds; 0: none
	timeout  time.Duration
}

func appendChunk(b []byte, h chunkHead, args [][]byte) []byte {
	b = append(b, recChunk)
	b = binary.LittleEndian.AppendUint64(b, h.id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(args)))
	b = binary.LittleEndian.AppendUint64(b, uint64(h.deadline))
	b = binary.LittleEndian.AppendUint64(b, uint64(h.timeout))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h.task)))
	b = append(b, h.task...)
	return wire.AppendPieces(b, args)
}

// parseChunk decodes a chunk record; the args alias rec. The task's name
// is prev when it is the same (a worker passes the last chunk's), so that
// a run of chunks of one task allocates no name per chunk.
func parseChunk(rec []byte, prev string) (h chunkHead, args [][]byte, err error) {
	if len(rec) < chunkHdr || rec[0] != recChunk {
		return h, nil, badChunk(rec)
	}
	le := binary.LittleEndian
	h.id, h.deadline, h.timeout = le.Uint64(rec[1:]), int64(le.Uint64(rec[13:])), time.Duration(le.Uint64(rec[21:]))
	n, nl := le.Uint32(rec[9:]), int(le.Uint16(rec[29:]))
	rest := rec[chunkHdr:]
	if len(rest) < nl || uint64(n) > uint64(len(rec)) || h.timeout < 0 {
		return h, nil, badChunk(rec)
	}
	if h.task = prev; string(rest[:nl]) != prev {
		h.task = string(rest[:nl])
	}
	args, ok := wire.ParsePieces(rest[nl:], n)
	if !ok {
		return h, nil, badChunk(rec)
	}
	return h, args, nil
}

// badChunk is parseChunk's error, made only when it is one (fmt.Errorf on
// every chunk was an eighth of a worker's time per trivial task).
func badChunk(rec []byte) error {
	return fmt.Errorf("malformed chunk record of %d bytes: %w", len(rec), shm.ErrCorrupt)
}

func appendCancel(b []byte, id uint64) []byte {
	return binary.LittleEndian.AppendUint64(append(b, recCancel), id)
}

func parseCancel(rec []byte) (id uint64, ok bool) {
	if len(rec) != 9 || rec[0] != recCancel {
		return 0, false
	}
	return binary.LittleEndian.Uint64(rec[1:]), true
}

func appendResult(b []byte, id uint64, index int, status byte, payload []byte) []byte {
	b = append(b, recResult)
	b = binary.LittleEndian.AppendUint64(b, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(index))
	b = append(b, status)
	return append(b, payload...)
}

func parseResult(rec []byte) (id uint64, index int, status byte, payload []byte, err error) {
	if len(rec) < 14 || rec[0] != recResult {
		return 0, 0, 0, nil, fmt.Errorf("malformed result record of %d bytes: %w", len(rec), shm.ErrCorrupt)
	}
	le := binary.LittleEndian
	return le.Uint64(rec[1:]), int(le.Uint32(rec[9:])), rec[13], rec[14:], nil
}
