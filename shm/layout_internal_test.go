package shm

import (
	"testing"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil"
)

// The header and directory entries are shared with other processes, other
// builds and python/: these numbers change only with LayoutVersion.
func TestLayoutPins(t *testing.T) {
	testutil.Pins{
		{"header", unsafe.Sizeof(header{}), headerSize},
		{"header.Version", unsafe.Offsetof(header{}.Version), 8},
		{"header.Size", unsafe.Offsetof(header{}.Size), 16},
		{"header.CreatorPID", unsafe.Offsetof(header{}.CreatorPID), 32},
		{"header.CreatorStart", unsafe.Offsetof(header{}.CreatorStart), 40},
		{"header.Checksum", unsafe.Offsetof(header{}.Checksum), 56},
		{"header.AllocLock", unsafe.Offsetof(header{}.AllocLock), CacheLinePad},
		{"header.Count", unsafe.Offsetof(header{}.Count), 144},
		{"header.Cursor", unsafe.Offsetof(header{}.Cursor), 152},
		{"entry", unsafe.Sizeof(entry{}), entrySize},
		{"entry.Kind", unsafe.Offsetof(entry{}.Kind), MaxObjectName},
		{"entry.Offset", unsafe.Offsetof(entry{}.Offset), 48},
	}.Check(t)
}
