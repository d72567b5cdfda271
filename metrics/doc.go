// Package metrics exports the Stats of shmkit's shared objects the way Go
// services export numbers: as expvar variables out of the box (this
// package), and to Prometheus through the collector in metrics/prom (the
// one package that imports the Prometheus client, so a program that does
// not use it does not link it).
//
// A Source is one object's Stats as named numbers: Ring, Queue (an MPMC,
// a Queue[T], a JoinableQueue[T], whose unfinished count comes too), Dict
// (a manager dict's table) and Pool. Publish puts sources into expvar, as
// "shmkit.<kind>.<name>", each a JSON object of its numbers:
//
//	q, err := ring.NewQueue[Job](seg, "jobs", nil)
//	...
//	err = metrics.Publish(metrics.Queue("jobs", q))
//	// GET /debug/vars: "shmkit.queue.jobs": {"messages_in": 2, "len": 1, ...}
//
// Every number is read when it is asked for, without locks: queue and
// ring counters are the shared ones, summed over every process that uses
// the object, since it was created.
//
// Sharp edges: reading a Source touches the object's shared memory, so an
// exported object's segment must stay open as long as anything can read
// it — after its segment is closed a read faults. expvar cannot forget a
// variable: publish only objects that live as long as the program (use
// metrics/prom, whose registry can Unregister, for shorter-lived ones).
// The core packages never import this one (internal/layers checks it).
package metrics
