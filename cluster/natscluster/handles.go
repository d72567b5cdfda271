package natscluster

import (
	"bytes"

	"github.com/shmkit/shmkit/shm"
)

// A shared-memory object travels to a local worker as its handle: every
// kind's MarshalBinary is shm.Handle's, which gob and the binary
// marshallers put into the encoded argument as they are. Those bytes name
// a segment of this machine, so an argument that holds one is refused.
// The executor only sees encoded arguments (the typed functions of
// package pool encode them), so it looks for the handle's encoding: its
// magic, then a header and names that decode as a handle. A task with
// its own codec (WithCodecs) that encodes a shared object some other way
// is not caught.
const (
	handleMagic = "SKH1"                    // shm.Handle's MarshalBinary
	handleFixed = 4 + 8 + 4 + 4 + 8 + 8 + 2 // magic, id, kind, version, offset, size, name lengths
)

// carriesHandle reports whether b holds a marshalled shm.Handle.
func carriesHandle(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(handleMagic))
		if j < 0 {
			return false
		}
		p := b[i+j:]
		if len(p) >= handleFixed {
			n := handleFixed + int(p[handleFixed-2]) + int(p[handleFixed-1])
			var h shm.Handle
			if n <= len(p) && h.UnmarshalBinary(p[:n]) == nil && h.SegmentID != 0 {
				return true
			}
		}
		i += j + 1
	}
}
