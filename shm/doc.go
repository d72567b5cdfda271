// Package shm provides shared-memory segments: the ground every other
// shmkit object lives on.
//
// A segment is a mapping with a validated header (magic, layout version,
// size, xxhash checksum, creator pid and start time), a directory of named
// objects and an allocator. One segment can hold a queue, a lock and a few
// values side by side; another process finds each by name (Lookup) or by a
// Handle passed to it.
//
// Two kinds of segment, and other programs' shared memory:
//
//   - Named (Create, Open): a file in /dev/shm, mode 0600 unless asked,
//     openable by unrelated processes, Python included: the repo's
//     python/shmkit.py opens it by name and finds each object by its own
//     (numpy views of arrays, the cells of values). An object's bytes
//     start at Object.Offset() from the start of the file (its header
//     first: an array's elements follow at array.HeaderSize). A named
//     segment outlives its processes until Unlink (or shmkit gc).
//   - Anonymous (Anonymous): a sealed memfd with no name, handed to children
//     started by package process as an inherited descriptor; the kernel
//     frees it when the last process lets go, even after kill -9.
//   - Not a segment (OpenRaw): a file of /dev/shm that another program made,
//     Python's multiprocessing.shared_memory.SharedMemory(create=True)
//     among them, mapped as plain bytes and never read as a segment.
//
// Sharp edges: Close unmaps, and every slice and object from the segment
// becomes invalid (touching one faults), so close last. Objects are never
// freed one by one. Memory read from a segment may be written by a hostile
// or crashed process at any time: this package checks every offset and
// length it reads from shared memory against the mapping size it keeps in
// private memory, and returns ErrCorrupt rather than reading out of bounds.
// Open on a file that is not a shmkit segment is ErrNotShmkit, another
// layout version ErrVersion.
//
// Packages building objects on shm allocate with AllocObject, passing their
// Kind, a layout version and an init function that runs before the object
// is published, and attach with LookupKind or Attach, which refuse an
// object of another kind with ErrWrongKind.
package shm
