package pool

import (
	"encoding/binary"
	"fmt"

	"github.com/shmkit/shmkit/shm"
)

// Wire format between a pool and its workers, one ring record each, over
// two SPSC rings per worker (tasks: parent → worker; results: worker →
// parent). Little-endian.
//
//	chunk   'C' id:u64 count:u32 nameLen:u16 name  (len:u32 arg)×count
//	result  'R' id:u64 index:u32 status:u8 payload   (status: ok, error, panic)
//	ready   'I' status:u8 message                   (first record of a worker)
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

	statusOK    = 0
	statusErr   = 1
	statusPanic = 2
)

type workerArg struct {
	Tasks, Results   shm.Handle
	Init             string
	InitArg          []byte
	MaxTasksPerChild int
}

func appendChunk(b []byte, id uint64, task string, args [][]byte) []byte {
	b = append(b, recChunk)
	b = binary.LittleEndian.AppendUint64(b, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(args)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(task)))
	b = append(b, task...)
	for _, a := range args {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(a)))
		b = append(b, a...)
	}
	return b
}

// parseChunk decodes a chunk record; the args alias rec.
func parseChunk(rec []byte) (id uint64, task string, args [][]byte, err error) {
	bad := fmt.Errorf("malformed chunk record of %d bytes: %w", len(rec), shm.ErrCorrupt)
	if len(rec) < 15 || rec[0] != recChunk {
		return 0, "", nil, bad
	}
	le := binary.LittleEndian
	id, n, nl := le.Uint64(rec[1:]), le.Uint32(rec[9:]), int(le.Uint16(rec[13:]))
	rest := rec[15:]
	if len(rest) < nl || uint64(n) > uint64(len(rec)) {
		return 0, "", nil, bad
	}
	task, rest = string(rest[:nl]), rest[nl:]
	args = make([][]byte, 0, n)
	for range n {
		if len(rest) < 4 {
			return 0, "", nil, bad
		}
		l := le.Uint32(rest)
		if uint64(l) > uint64(len(rest)-4) {
			return 0, "", nil, bad
		}
		args, rest = append(args, rest[4:4+l]), rest[4+l:]
	}
	if len(rest) != 0 {
		return 0, "", nil, bad
	}
	return id, task, args, nil
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
