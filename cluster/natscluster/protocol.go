package natscluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/internal/wire"
)

// The messages between executors and workers, little-endian:
//
//	chunk   'C' 1 id:u64 deadline:i64 timeout:i64 clientLen:u8 client nameLen:u16 name count:u32 (len:u32 arg)×count
//	results 'R' 1 id:u64 workerLen:u8 worker (index:u32 status:u8 len:u32 payload)…
//	cancel  'X' 1 clientLen:u8 client (id:u64)…
//
// A chunk is one message on the pool's work-queue stream (subject
// shmkit.pool.<name>.tasks); its id is unique within its client (the
// executor that sent it, a NUID), its deadline (Unix nanoseconds, 0 for
// none) is its job's ctx's, its timeout (0 for none) bounds each input.
// Results go to shmkit.pool.<name>.results.<client>, on the results
// stream, several inputs' to a message; a worker may send the same
// input's result more than once (a chunk runs again after a redelivery):
// the executor keeps the first. A result's payload is the task's encoded
// result, or for a failure wire's encoding of it (the error as a tree, so
// that errors.Is and errors.As work in the caller as in the worker; a
// panic's frame and stack); worker names the process that answered
// ("host:pid"). Cancel records are plain NATS messages on
// shmkit.pool.<name>.cancel, to every worker: best effort, as the
// executor has already answered the cancelled inputs itself.
const (
	recChunk   = 'C'
	recResults = 'R'
	recCancel  = 'X'
	version    = 1

	statusOK        = 0
	statusErr       = 1
	statusPanic     = 2
	statusStuck     = 3 // the task ignored its ctx past the grace period
	statusExhausted = 4 // the chunk came once more than MaxDeliver allows

	chunkFixed  = 2 + 8 + 8 + 8 + 1 + 2 + 4
	resultFixed = 4 + 1 + 4
	resultsHead = 2 + 8
)

var errMalformed = errors.New("malformed message")

type chunkHead struct {
	id       uint64
	deadline int64 // Unix nanoseconds; 0: none
	timeout  time.Duration
	client   string
	task     string
}

// chunkSize is the encoded size of a chunk of h with args.
func chunkSize(h chunkHead, args [][]byte) int {
	n := chunkFixed + len(h.client) + len(h.task)
	for _, a := range args {
		n += 4 + len(a)
	}
	return n
}

func appendChunk(b []byte, h chunkHead, args [][]byte) []byte {
	le := binary.LittleEndian
	b = append(b, recChunk, version)
	b = le.AppendUint64(b, h.id)
	b = le.AppendUint64(b, uint64(h.deadline))
	b = le.AppendUint64(b, uint64(h.timeout))
	b = append(b, byte(len(h.client)))
	b = append(b, h.client...)
	b = le.AppendUint16(b, uint16(len(h.task)))
	b = append(b, h.task...)
	b = le.AppendUint32(b, uint32(len(args)))
	return wire.AppendPieces(b, args)
}

// parseChunk decodes a chunk; the args alias b.
func parseChunk(b []byte) (h chunkHead, args [][]byte, err error) {
	bad := fmt.Errorf("chunk of %d bytes: %w", len(b), errMalformed)
	le := binary.LittleEndian
	if len(b) < chunkFixed || b[0] != recChunk || b[1] != version {
		return h, nil, bad
	}
	h.id, h.deadline, h.timeout = le.Uint64(b[2:]), int64(le.Uint64(b[10:])), time.Duration(le.Uint64(b[18:]))
	rest := b[26:]
	cl := int(rest[0])
	if len(rest) < 1+cl+2 || h.timeout < 0 {
		return h, nil, bad
	}
	h.client, rest = string(rest[1:1+cl]), rest[1+cl:]
	nl := int(le.Uint16(rest))
	if len(rest) < 2+nl+4 {
		return h, nil, bad
	}
	h.task, rest = string(rest[2:2+nl]), rest[2+nl:]
	n := le.Uint32(rest)
	args, ok := wire.ParsePieces(rest[4:], n)
	if !ok {
		return h, nil, bad
	}
	return h, args, nil
}

func appendResultsHead(b []byte, id uint64, worker string) []byte {
	b = binary.LittleEndian.AppendUint64(append(b, recResults, version), id)
	return append(append(b, byte(len(worker))), worker...)
}

func appendResult(b []byte, index int, status byte, payload []byte) []byte {
	le := binary.LittleEndian
	b = le.AppendUint32(b, uint32(index))
	b = append(b, status)
	b = le.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

type result struct {
	index   int
	status  byte
	payload []byte // aliases the message
}

// parseResults decodes a results message; the payloads alias b.
func parseResults(b []byte) (id uint64, worker string, rs []result, err error) {
	bad := fmt.Errorf("results of %d bytes: %w", len(b), errMalformed)
	le := binary.LittleEndian
	if len(b) < resultsHead+1 || b[0] != recResults || b[1] != version || len(b) < resultsHead+1+int(b[resultsHead]) {
		return 0, "", nil, bad
	}
	id, wl := le.Uint64(b[2:]), int(b[resultsHead])
	worker, b = string(b[resultsHead+1:resultsHead+1+wl]), b[resultsHead+1+wl:]
	for len(b) > 0 {
		if len(b) < resultFixed {
			return 0, "", nil, bad
		}
		l := le.Uint32(b[5:])
		if uint64(l) > uint64(len(b)-resultFixed) {
			return 0, "", nil, bad
		}
		rs = append(rs, result{index: int(le.Uint32(b)), status: b[4], payload: b[resultFixed : resultFixed+int(l)]})
		b = b[resultFixed+int(l):]
	}
	return id, worker, rs, nil
}

func appendCancel(b []byte, client string, ids []uint64) []byte {
	b = append(b, recCancel, version, byte(len(client)))
	b = append(b, client...)
	for _, id := range ids {
		b = binary.LittleEndian.AppendUint64(b, id)
	}
	return b
}

func parseCancel(b []byte) (client string, ids []uint64, err error) {
	if len(b) < 3 || b[0] != recCancel || b[1] != version || len(b) < 3+int(b[2]) || (len(b)-3-int(b[2]))%8 != 0 {
		return "", nil, fmt.Errorf("cancel of %d bytes: %w", len(b), errMalformed)
	}
	client, b = string(b[3:3+int(b[2])]), b[3+int(b[2]):]
	for ; len(b) > 0; b = b[8:] {
		ids = append(ids, binary.LittleEndian.Uint64(b))
	}
	return client, ids, nil
}
