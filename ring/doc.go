// Package ring moves messages between processes through shared memory:
// what Python's multiprocessing Queue, JoinableQueue, SimpleQueue and Pipe
// do, at memory speed, and without a dead peer wedging anything.
//
// Four types, from raw to convenient:
//
//   - Ring: a single-producer single-consumer ring of variable-length byte
//     records. Copying Write/Read, zero-copy Reserve→Commit and
//     Peek→Release, batched WriteBatch/ReadBatch that publish many records
//     with one store. The fastest path between two processes.
//   - MPMC: a bounded multi-producer multi-consumer queue of byte messages
//     (Vyukov's per-slot sequence numbers, extended with multi-slot
//     messages and a participant table for crash recovery).
//   - Pipe: two Conn ends over one or two Rings: Send/Recv of Go values
//     (gob), SendBytes/RecvBytes, Poll, io.Reader and io.Writer.
//   - Queue[T]: a typed MPMC queue (Put, Get, TryPut, TryGet, Len, Empty,
//     Full, Close) with pluggable Codecs, and JoinableQueue[T] with
//     TaskDone and Join.
//
// Each lives in an shm.Segment (New… allocates it by name, Open… finds it,
// Attach… takes a Handle) and travels to a child started by package
// process as a handle: every type implements encoding.BinaryMarshaler.
//
// # Waiting
//
// Calls that may wait take a context.Context; Try variants never wait.
// The default Blocking mode spins for an adaptive 2–100 µs, then sleeps on a
// futex; the other side issues a futex wake only when someone armed it
// before sleeping, once per sleep. The first sleep after arming lasts at
// most 50 µs (see waitLine); then an MPMC wait sleeps in 5 ms slices, to
// look for dead peers between them, and a Ring or Join wait, which has none
// to look for, in 1 s slices: Close, the peer and the context's end wake
// it. A goroutine asleep in a futex holds an OS thread. Spin mode never
// sleeps: choose it at creation (Options.Mode) or per call (WithMode).
//
// Ring.WriteQuiet commits a record without waking a sleeping reader, for a
// writer whose reader needs only the last record of a run promptly (a pool
// worker's results of one chunk): the next Write or Commit wakes it.
//
// # Closing
//
// Close (any process, any end) closes for everyone: writers get
// os.ErrClosed, readers get what was committed before, then io.EOF. Close
// does not free memory: objects live as long as their segment.
//
// # Sharp edges
//
// Zero-copy slices point into shared memory: a Reserve slice is valid until
// Commit, a Peek slice until Release (or a Peek that has to wait). A Ring has
// one writer and one reader at a time; use MPMC or Queue for more. Memory
// read from a segment may be hostile: positions and lengths are checked
// before use and a damaged ring returns an error wrapping shm.ErrCorrupt,
// never reads outside itself.
//
// A queue's participant table (Options.Participants entries) holds one
// entry per concurrent Put or Get of each process, kept until that process
// exits; a full table is ErrTooManyParticipants.
//
// # What each death costs
//
//   - Ring producer killed between Reserve and Commit: nothing is torn;
//     the uncommitted records vanish. A new producer may attach and go on.
//   - Ring consumer killed: records it peeked and did not Release are read
//     again by the next consumer; records released are gone.
//   - MPMC producer killed after claiming slots and before committing them:
//     consumers that find the claim stuck look up the claimer in the
//     participant table (pid plus start time, so pid reuse cannot fool
//     them), and once it is dead they commit a tombstone in its place and
//     skip it: no torn message, no stall beyond a few milliseconds.
//   - MPMC consumer killed after taking a message: that one message is lost;
//     producers that wrap around to its slots find the taker dead and free
//     them.
//   - A process killed while asleep in a futex costs its peer one wasted
//     futex wake.
//   - JoinableQueue counts are not repaired after a crash: Join may then
//     wait for its context.
package ring
