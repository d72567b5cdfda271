// Package array provides fixed-length typed arrays in shared memory:
// Python's multiprocessing.Array for Go, and numpy's view of the same
// memory.
//
// An Array[T] holds Len() elements of any fixed-size T without pointers
// (checked with value.Check at creation and on every open), contiguous and
// little-endian at DataOffset() from the start of its segment. Its header
// records numpy's name for T (DType: "<f8", "(3,)<f4"), so in a named
// segment (shm.Create) Python finds the array by its name with the repo's
// python/shmkit.py and gets a numpy view of the same elements:
//
//	seg = shmkit.open("segment-name")
//	a = seg.array("array-name")  # numpy.ndarray of Len() float64s
//
// Int[T] adds atomic element operations for 32- and 64-bit integers.
//
// Three tiers of access, from safe to fast:
//
//   - Lock/Unlock (the array's own robust lock, Python's get_lock()) around
//     Load, Store, CopyTo and CopyFrom: consistent across elements. A
//     process killed holding the lock is replaced by the next locker with
//     sync.ErrOwnerDead, and the elements it was changing are suspect.
//   - Int's atomic Load, Store, Add, Swap, CompareAndSwap: per-element,
//     lock-free, never torn.
//   - Unsafe(): the elements themselves as a []T, no copy and no
//     protection; valid until the segment is closed.
//
// Indexes out of range panic, as slice indexes do. Bad input from outside
// — a handle of another kind, an array created with another T, a header
// whose length does not fit its object, a negative length — is an error.
package array
