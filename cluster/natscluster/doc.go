// Package natscluster runs shmkit's Pool, Dict and Queue on NATS JetStream,
// past one machine: the same calls as the shared-memory versions, by
// changing one constructor.
//
//	nc, js, err := natscluster.Connect(ctx, "nats://host:4222")
//	e, err := natscluster.NewExecutor(ctx, js, natscluster.Options{Name: "jobs"})
//	squares, err := pool.Map(ctx, e, square, inputs) // was: pool.Map(ctx, p, square, inputs)
//
// and on every machine, the same binary runs the workers:
//
//	err := natscluster.Serve(ctx, js, natscluster.Options{Name: "jobs"})
//
// What is here:
//
//   - Executor, a pool.Executor: pool.Map, Imap, ImapUnordered, Apply and
//     ApplyAsync run unchanged over process.Register's tasks. Serve is the
//     worker side. One message per chunk on a work-queue stream, pulled by
//     free workers; progress acknowledged while a task runs; a dead
//     worker's chunk redelivered after AckWait, at most MaxDeliver times,
//     then failed with ErrDeliveriesExhausted; results deduplicated.
//   - Dict, a manager.Dict on a JetStream key-value bucket, with revisions
//     for compare-and-swap and an atomic SetMany.
//   - Queue[T], ring's typed queue on a work-queue stream, with the same
//     codec.Codec[T], a capacity (ring.ErrFull), and Shutdown.
//   - Connect, which says clearly what is wrong with an address, the
//     credentials or a server without JetStream.
//
// For tests, benchmarks and examples, package natsserver runs a server in
// the process; in production run nats-server -js (three of them for a
// cluster that survives the loss of one).
//
// What bites, all of it unlike shared memory:
//
//   - Delivery is at least once. A task may run twice: when its worker
//     dies after running it, or is cut off from the server longer than
//     AckWait, its chunk runs again elsewhere. Make tasks idempotent. The
//     executor keeps the first result of each input, so Map still yields
//     exactly one result per input. A Queue value is acknowledged before
//     Get returns it: a consumer that dies after that loses it.
//   - A chunk needs a live worker: with none, Map waits (for one to
//     start) as long as its ctx allows. A chunk whose every worker dies
//     fails after MaxDeliver deliveries, never hangs — but each delivery
//     waits AckWait (30 s by default) for the dead worker first.
//   - Cancellation is best effort: a cancelled Map returns at once and
//     answers its inputs itself; the workers are told (a plain NATS
//     message) and the chunks not started are taken off the stream, but
//     a task may still run after its Map returned. A task that ignores its
//     ctx keeps its goroutine in the worker past Grace.
//   - Arguments travel as bytes: an argument that carries a shared-memory
//     handle (a Queue, a Dict, a lock of this machine) is refused with
//     ErrSharedMemory. One input, one result, or one Queue value must fit
//     the server's max_payload (1 MiB by default); a chunk larger than that
//     is split.
//   - Durability is the streams' Storage (see Storage): file storage by
//     default, synced to disk every 2 minutes unless the server runs with
//     sync_interval: always, or the streams have 3 replicas.
//   - Consistency of the Dict: writes are ordered by the bucket's leader
//     and conditional writes are atomic per key; reads may be served by a
//     replica that lags (see Dict). Iterations and Snapshot read key by key.
//   - Per-call cost is a network round trip or two: tens of microseconds
//     on one machine, against well under one for shared memory (bench's
//     nats-pool and nats-kv rows). Scale out for work that outgrows one
//     machine, not for short tasks.
package natscluster
