// Package sync provides locks and signals that live in shared memory and
// work across processes: Python's multiprocessing Lock, Semaphore,
// RLock, Condition, Event and Barrier for Go, plus an RWMutex — with one thing
// Python's lack: a lock held by a process that dies is not held forever.
//
// Each primitive is a fixed-size object in an shm.Segment: create it with
// New<Type>(seg, name, ...), find it by name with Open<Type>, or send it to
// a child process (package process, or gob) — it travels as its
// shm.Handle, through MarshalBinary and UnmarshalBinary. Make one handle
// per process and share it among goroutines.
//
// # What a dead process leaves
//
//   - Mutex (and RWMutex's write side, and the locks inside value.Value
//     and array.Array): the owner's pid and start time are in the lock
//     word (the one robust lock word of shmkit, internal/owner, also used
//     by the segment allocator and the manager's tables). The next locker
//     finds the owner dead within one sleep slice (at most 50 ms; measured
//     here: kill to ErrOwnerDead p50 7–12 ms, max 16 ms, for a waiter that
//     had been asleep 10–30 ms, see TestLockRecoveryTime), takes
//     the lock and gets ErrOwnerDead: the protected state may be half
//     updated. Repair it and call MarkConsistent; an Unlock before that
//     makes the lock not recoverable (ErrNotRecoverable for every later
//     locker), as pthread robust mutexes do.
//   - RLock: as Mutex, at any depth.
//   - RWMutex readers: a dead reader's slot is cleared by the next writer,
//     or by a reader that finds every slot taken; a reader killed holding
//     its lock delays others by at most one sleep slice.
//   - Semaphore: units held by a dead process are lost (no owner is
//     recorded, as in POSIX and Python).
//   - Cond, Event: a process that dies while waiting leaves nothing held.
//   - Barrier: a party of the previous generation that died breaks the
//     barrier for the waiters of the current one (ErrBrokenBarrier); a
//     party that never arrives is caught by the waiters' deadlines.
//
// # Blocking
//
// Every blocking call takes a context.Context and returns its error,
// wrapped, when it ends first; Try variants never block. Waiting is a
// short adaptive spin, then FUTEX_WAIT on a shared word with a timeout that
// grows to 50 ms (the bound on noticing a dead owner, and on noticing a
// context canceled without a deadline). A goroutine asleep in FUTEX_WAIT
// holds its OS thread. Wakers call FUTEX_WAKE only when the object's
// sleeper count says someone sleeps; a process killed while asleep leaves
// that count one too high until a waker finds the kernel's queue empty and
// lowers it (each such waker pays one futile system call).
//
// # Sharp edges
//
// Liveness is judged by pid and start time (kill(pid, 0), then /proc):
// every process using an object must share one pid namespace (containers
// sharing /dev/shm but not pids would see each other as dead). When the
// kernel cannot answer (EMFILE, EPERM) an owner counts as alive: waiting
// longer breaks nothing, taking a live owner's lock breaks exclusion.
//
// Locks are held by processes, not goroutines: any goroutine of the owning
// process may Unlock, and a process that locks a Mutex it holds waits for
// itself until its context ends. Objects live as long as their segment and
// every handle is invalid once the segment is closed. The layouts are
// little-endian with fixed offsets, pinned by tests; see each type.
package sync
