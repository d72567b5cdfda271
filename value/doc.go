// Package value provides typed cells in shared memory: Python's
// multiprocessing.Value for Go, without its lock on every access.
//
// Three flavors, each an object of kind shm.KindValue in an shm.Segment:
//
//   - Int[T] (int32, int64, uint32, uint64, int, uint, uintptr) and
//     Float[T] (float32, float64): lock-free Load, Store, Add, Swap and
//     CompareAndSwap, single atomic instructions on the number, which sits
//     little-endian at Object().Offset() + DataOffset. This is the shared
//     counter: c.Add(1) from any number of processes.
//   - Value[T] for any fixed-size T without pointers (a struct of numbers
//     and arrays): Load never blocks and never returns a torn value (a
//     sequence lock over two copies), Store and Update write under the
//     value's own lock.
//
// Every flavor has Update(ctx, fn), a read-modify-write under the value's
// robust lock (Python's "with v.get_lock()"), and Mutex() for that lock.
//
// Creation checks T (Check): pointers, slices, maps, strings, interfaces,
// channels and functions are refused, since another process would read an
// address that means nothing in its own memory. Opening or attaching an
// object created with a T of another layout is shm.ErrWrongKind.
//
// What a dead process leaves: Int and Float are always whole (one atomic
// instruction); a Value writer killed mid-write never published the copy
// it was writing, so readers keep the last complete value. A process
// killed holding the lock (inside Update) is replaced by the next Update
// within about 50 ms; its update is lost, nothing is torn, and the lock is
// marked consistent again automatically. A process that holds Mutex()
// itself gets package sync's ErrOwnerDead protocol.
//
// Sharp edges: the lock-free operations and Update do not exclude each
// other (Update serialises Updates). Handles are valid until their segment
// is closed. Send a value to a child process as its handle (package
// process does, through MarshalBinary).
package value
