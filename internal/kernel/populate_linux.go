package kernel

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

var pageSize = uintptr(os.Getpagesize())

// Populate faults in every page of b, a slice of a shared mapping, for
// writing, now: one madvise(MADV_POPULATE_WRITE) instead of a page fault
// on the first touch of each page (several µs each under a hypervisor).
// On kernels before 5.14, which lack it, it reads one byte of every page.
// The contents are unchanged.
func Populate(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	// madvise wants a page-aligned start: widen b down to its page. The
	// widened slice stays inside the same mapping, which starts on a page.
	p := unsafe.Pointer(unsafe.SliceData(b))
	lead := uintptr(p) & (pageSize - 1)
	whole := unsafe.Slice((*byte)(unsafe.Add(p, -int(lead))), uintptr(len(b))+lead)
	for {
		err := unix.Madvise(whole, unix.MADV_POPULATE_WRITE)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EINVAL: // no MADV_POPULATE_WRITE on this kernel
			touch(whole)
			return nil
		default:
			return fmt.Errorf("populating %d bytes: %w", len(b), err)
		}
	}
}

// touch reads the first word of every page of b, which starts on a page
// (an atomic load, so the compiler keeps it), faulting each page in.
func touch(b []byte) {
	p := unsafe.Pointer(unsafe.SliceData(b)) // page-aligned (see Populate)
	for off := 0; off+4 <= len(b); off += int(pageSize) {
		atomic.LoadUint32((*uint32)(unsafe.Add(p, off)))
	}
}
