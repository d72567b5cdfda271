// Package value provides typed cells in shared memory: Python's
// multiprocessing.Value for Go, without its lock on every access.
//
// Three flavors, each an object of kind shm.KindValue in an shm.Segment:
//
//   - Int[T] (int32, int64, uint32, uint64, int, uint, uintptr) and
//     Float[T] (float32, float64): lock-free Load, Store, Add, Swap and
//     CompareAndSwap, single atomic instructions on the number, which sits
//     little-endian at Object().Offset() + DataOffset (Float's Add is a
//     compare-and-swap loop). This is the shared counter: c.Add(1) from
//     any number of processes. Python finds it by name with the repo's
//     python/shmkit.py: shmkit.open(segment).value(name).value reads and
//     writes it (numpy's name for T is in the header: DType).
//   - Value[T] for any fixed-size T without pointers (a struct of numbers
//     and arrays): Load never blocks and never returns a torn value (a
//     sequence lock over two copies), Store and Update write under the
//     value's own lock.
//
// Every flavor has Update(ctx, fn), a read-modify-write (Python's
// "with v.get_lock(): v.value = f(v.value)"), and Mutex() for the value's
// robust lock. For Int and Float, Update is a compare-and-swap loop on the
// number (load, fn, CompareAndSwap, retry): no lock, exact against Add and
// every other operation of any process, but fn may run more than once and
// must only compute. For Value, whose T is more than one atomic word,
// Update and Store run under the lock (Value has no lock-free writes).
//
// Creation checks T (Check): pointers, slices, maps, strings, interfaces,
// channels and functions are refused, since another process would read an
// address that means nothing in its own memory. Opening or attaching an
// object created with a T of another layout is shm.ErrWrongKind.
//
// What a dead process leaves: Int and Float are always whole (one atomic
// instruction); a Value writer killed mid-write never published the copy
// it was writing, so readers keep the last complete value. A process
// killed holding a Value's lock (inside Store or Update) is replaced by
// the next writer within about 50 ms; its update is lost, nothing is torn,
// and the lock is marked consistent again automatically. A process that
// holds Mutex() itself gets package sync's ErrOwnerDead protocol.
//
// Sharp edges: holding Mutex() excludes only those who take it too; no
// operation of Int or Float does. Handles are valid until their segment
// is closed. Send a value to a child process as its handle (package
// process does, through MarshalBinary).
package value
