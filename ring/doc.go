// Package ring moves messages between processes through shared memory:
// what Python's multiprocessing Queue, JoinableQueue, SimpleQueue and Pipe
// do, at memory speed, and without a dead peer wedging anything.
//
// Four types, from raw to convenient:
//
//   - Ring: a single-producer single-consumer ring of variable-length byte
//     records. Copying Write/Read, zero-copy Reserve→Commit and
//     Peek→Release, batched WriteBatch/ReadBatch that publish many records
//     with one store, and ReserveBatch→Commit and PeekBatch→Release, which
//     hand a run of equal-size records over as one view (Records: one
//     call per run, not per record). The fastest path between two
//     processes.
//   - MPMC: a bounded multi-producer multi-consumer queue of byte messages
//     (Vyukov's per-slot sequence numbers, extended with multi-slot
//     messages and a participant table for crash recovery). PutBatch and
//     GetBatchFunc move runs of one-slot messages with one
//     compare-and-swap per run.
//   - Pipe: two Conn ends over one or two Rings: Send/Recv of Go values
//     (gob), SendBytes/RecvBytes, Poll, io.Reader and io.Writer. Any
//     number of processes may hold and use an end: sends take turns, and
//     so do receives. Wait waits on several Conns (and processes, and
//     channels) at once, as Python's connection.wait; Listen and Dial
//     connect processes that know only a segment's name and a listener's
//     (Python's Listener and Client).
//   - Queue[T]: a typed MPMC queue (Put, Get, TryPut, TryGet, Len, Empty,
//     Full, Close, Shutdown, All) with pluggable Codecs, and
//     JoinableQueue[T] with TaskDone and Join. It holds exactly
//     Options.Capacity values of up to a slot each, and records T: opening
//     it as a queue of another type is shm.ErrWrongKind.
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
// look for dead peers between them; a Ring wait (a Pipe's too) in 50 ms
// slices, asking after each whether the peer process still runs; a Join
// wait, or a Ring wait whose peer is this process, in 1 s slices. Close, the peer and the context's end wake a
// Ring or Join wait. A goroutine asleep in a futex holds an OS thread.
// Spin mode never sleeps (and looks for dead peers every few
// milliseconds): choose it at creation (Options.Mode) or per call
// (WithMode). A Ring's Try calls never look for a dead peer (a look costs
// system calls): TryRead finds ErrEmpty whether the writer lives or not.
//
// A Conn's Read and Write (io.Reader, io.Writer) have no context: they
// wait until the deadlines SetDeadline, SetReadDeadline and
// SetWriteDeadline set, as a net.Conn's do (os.ErrDeadlineExceeded after).
//
// Ring.WriteQuiet commits a record without waking a sleeping reader, for a
// writer whose reader needs only the last record of a run promptly (a pool
// worker's results of one chunk): the next Write or Commit wakes it.
//
// # Closing
//
// A Conn's Close lets go of this process's handle, as Python's
// Connection.close does: the pipe goes on for every other handle, in this
// process or others. Each end of a pipe counts the processes that hold it
// (that created, opened or attached it, or were handed it, and have not
// closed it); a receiver sees io.EOF once every holder of the other end
// closed it, an error wrapping ErrPeerDead instead once one of them died
// without closing, and a sender fails (os.ErrClosed, or ErrPeerDead) once
// no process holds the receiving end. So the parent closes its copy of a
// child's end after starting the child, as in Python: an end being handed
// to a child (marshaled) holds it on the child's behalf meanwhile.
//
// Ending an object for every process is a call of its own: Conn.Shutdown,
// Queue.Shutdown (Python's, with ErrShutdown), and the Close of a Ring, an
// MPMC queue or a Queue, which is how a producer tells its consumers the
// stream is over: writers get os.ErrClosed, readers get what was committed
// before, then io.EOF. Nothing frees memory: objects live as long as their
// segment.
//
// # Sharp edges
//
// Zero-copy slices point into shared memory: a Reserve slice is valid until
// Commit, a Peek slice until Release (or a Peek that has to wait). A Ring has
// one writer and one reader at a time; use MPMC or Queue for more, or a
// Pipe, whose ends take a lock per side in every call. Memory
// read from a segment may be hostile: positions and lengths are checked
// before use and a damaged ring returns an error wrapping shm.ErrCorrupt,
// never reads outside itself.
//
// A queue's participant table (Options.Participants entries) holds one
// entry per concurrent Put or Get of each process, kept until that process
// exits; a full table is ErrTooManyParticipants.
//
// # Scaling
//
// An MPMC queue is one enq word and one deq word that every producer,
// respectively every consumer, takes turns on with a compare-and-swap:
// throughput does not grow with producers, it holds while the line holding
// enq moves between them. A Put costs one uncontended CAS on its handle's
// own participant entry (see participants.go; give each goroutine of a hot
// loop its own handle, OpenMPMC or a decoded Handle), the enq CAS, the
// payload, and the commit store; a Get the same on deq. PutBatch and
// GetBatchFunc pay the CASes once per run of messages.
//
// BenchmarkMPMCScale measures it in a threads harness: goroutines stand in
// for processes, each with its own handle; P producers and C consumers;
// 64-byte messages in 128-byte slots, one by one (Put, Get) or in runs of
// 32 (PutBatch, GetBatchFunc); every message counted exactly once.
// BenchmarkShardScale runs the sharded design below in the same harness:
// each producer writes its own Ring (Reserve/Commit, or ReserveBatch runs
// of 32), consumer c reads rings c, c+C… round-robin (TryPeekBatch) and
// checks each ring's order. M messages/s, all producers together:
//
//	2-core project VM (AMD EPYC, 2026-11-29, `go test -run '^$' -bench
//	Scale -benchtime 0.3s -count 3 ./ring`, low and high of 3 runs; past
//	P+C = 2 the goroutines only time-share the cores):
//	  P×C               1×2    2×2    3×2    4×2
//	  MPMC one by one   11-13  5-14   16-18  12-15
//	  MPMC runs of 32   44-54  34-50  41-46  31-40
//	  shards one by one 11-12  9-12   9-10   8-10
//	  shards runs of 32 66-67  77-97  89-101 94-114
//
//	16-vCPU Intel Xeon VM (2026-11-29, `ring.test -test.bench Scale
//	-test.benchtime 0.3s -test.count 2`, low and high of the 2 runs; a
//	cache-line round trip there takes 460 ns, 2.5 times the project VM's):
//	  P×C                1×2      2×2    4×2      8×2      12×2     4×4      6×6      7×7
//	  MPMC one by one    4.7-4.9  3.8    3.8-3.9  3.0-3.1  2.7-2.8  3.8      3.1-3.2  3.0
//	  MPMC runs of 32    17       30-31  29       29       27       18-23    7.4-8.1  7.7
//	  shards one by one  10-11    18     14-16    13-15    14       36       42-56    57-58
//	  shards runs of 32  28-32    72-93  92-93    119-129  121-132  112-130  196-207  243-251
//
// One queue tops out at one line transfer per claim whatever the producer
// count: one by one it even loses a little with each producer (more
// claimers fail their CAS), in runs it holds at about 30 M/s from 2 to 12
// producers. More consumers cost it: at 6×6 and 7×7 runs fall to a
// quarter, each commit setting every waiting consumer on the same deq
// line and the same slots. Two cheap cuts of that herd are yet to be
// measured there: a load of deq before the CAS (losers then never take
// the line for writing) and waiters that look at deq only now and then
// (the slot's seq tells them first). Across processes (shmkit bench --quick, the
// project VM): a 64-byte stream through one MPMC queue 80–89 ns per
// message, through a Ring 58–68; fanin, 2 producer and 2 consumer
// processes on 2 cores, 93–107.
//
// The design for past 4 cores, measured above but not built as a queue:
// shard by producer. Each producer process gets its own SPSC Ring in the
// queue's segment, and a consumer takes from the rings round-robin,
// claiming a run of records from one ring with a CAS on that ring's head
// (the Ring's reader side made multi-consumer, with the MPMC's consumer
// intents for a dead taker). Producers then share no written line at all,
// so puts scale with producers, consumers contend only when two pick the
// same ring, and a dead producer costs what a Ring's does (its uncommitted
// records vanish). The harness's static split of rings among consumers
// is the design's best case; with it, at 7×7, shards move 19 times the
// queue's messages one by one and 32 times in runs, and 2 consumers keep
// gaining up to 8 producers (then the consumers, not the producers, are
// the limit). It gives up global FIFO order across producers (each producer's
// messages stay in order), a single Len, and a bounded total (each ring
// is bounded); Python's Queue promises no order across producers either,
// so Queue[T] could sit on it unchanged. What is left to build: the
// multi-consumer claim on a Ring (claimed and released positions apart,
// as the MPMC's intents keep them), a producer's claim on a shard of its
// own (the SPSC producer end's owner word), and the consumers' rescue of
// a dead taker's run. On the 2-core project VM shards gain only in runs
// (about twice the queue's); one by one they ran no faster, the
// consumers' polling taking the producers' cores.
//
// A Ring's batched path (ReserveBatch, PeekBatch) costs the ring a few
// nanoseconds per record beyond the bytes themselves (BenchmarkStreamCost
// in package bench): what is left of a 64-byte message's time is filling,
// checking and moving its cache lines between the cores.
//
// # Large messages
//
// For large messages the limit is how fast one core's writes reach the
// other core's reads, and the ring takes little of it.
// BenchmarkLargeTwoThreads moves 1 MiB messages written in place and
// checked where they lie, through a Ring and through a bare hand-off of
// three 1 MiB slots and two counters, beside one thread's copy of the
// same bytes. On the 2-core project VM (2026-11-30, `-benchtime 3000x
// -count 6`), in a fast regime of the host: the Ring 31.5-38.7 GB/s, the
// hand-off 35.8-42.6, the copy 42.0-46.9; in a slow one, 24.6-29.4,
// 26.7-31.4 and 27.1-32.0. So the ring moves about 0.9× what the cores
// allow, and the cores allow 0.85-1× a single core's copy: the bench's
// 0.9× memcpy target for 1 MiB messages sits at the edge of what the
// hardware does, not of the ring.
//
// # What each death costs
//
// Each side of a Ring records the process that uses it (pid and start
// time, see internal/owner), from its first Reserve or Peek; the other
// side, when it has to wait, looks at that process between sleep slices.
//
//   - Ring producer killed between Reserve and Commit: nothing is torn;
//     the uncommitted records vanish. A new producer may attach and go on.
//   - Ring producer killed, whatever it was doing: the consumer reads every
//     record committed before the death, then gets an error wrapping
//     ErrPeerDead instead of waiting, within about 50 ms of the death
//     (a peer slice) — not io.EOF, which means the writer closed: a dead
//     writer's stream may stop anywhere. A Pipe's Recv and RecvBytes do the
//     same; a Conn's Read, an io.Reader, returns an error wrapping both
//     io.ErrUnexpectedEOF and ErrPeerDead, so that io.ReadAll and
//     io.ReadFull see a cut stream, never a clean end.
//   - Ring consumer killed: records it peeked and did not Release are read
//     again by the next consumer; records released are gone. The producer
//     goes on writing while there is room (the records wait for a next
//     consumer), and gets an error wrapping ErrPeerDead, within about
//     50 ms, once it would have to wait for room: it never blocks on a
//     dead reader. Send and Write on a Pipe do the same.
//   - ErrPeerDead persists until a process starts the dead side (its first
//     Reserve or Peek takes it over), or until Ring.ForgetDeadPeers (or
//     Conn.ForgetDeadPeers) clears the dead owner, after which waits wait
//     for a new one: for a ring handed from a dead process to its
//     replacement, as a pool hands its rings to a new worker.
//   - MPMC producer killed after claiming slots and before committing them:
//     consumers that find the claim stuck look up the claimer in the
//     participant table (pid plus start time, so pid reuse cannot fool
//     them), and once it is dead they commit a tombstone in its place and
//     skip it: no torn message, no stall beyond a few milliseconds.
//   - MPMC consumer killed after taking a message: that one message is lost;
//     producers that wrap around to its slots find the taker dead and free
//     them.
//   - Pipe sender killed in the middle of a send, holding its end's send
//     lock: the next sender on that end takes the lock over within a
//     lock's sleep slice (50 ms at most) and goes on after the last
//     committed message; the one being sent is lost, never torn. A
//     receiver killed holding the receive lock: the next receiver reads
//     the message it was taking again.
//   - A process killed while it holds a pipe end: its hold is freed by the
//     first peer that looks (between sleeps, within a peer slice); the
//     other end's receivers go on reading from the other holders, and once
//     there are none get ErrPeerDead rather than io.EOF (Conn.
//     ForgetDeadPeers forgets it). A process killed after it closed the
//     end costs nothing: it held nothing.
//   - A process killed while asleep in a futex costs its peer one wasted
//     futex wake.
//   - JoinableQueue counts are not repaired after a crash: Join may then
//     wait for its context.
package ring
