// Package bench is shmkit's benchmark suite: the honest comparison of its
// shared-memory transports against pipes, sockets, Go channels and CPython's
// multiprocessing, used by `go test -bench` and by `shmkit bench`.
//
// A Scenario (pingpong, stream, fanin, memcpy over the transports; lock,
// value, dict, pool-trivial, pool-cpu and spawn over the packages built on
// them) has one body that runs over every transport it supports. Peers are
// separate processes — the parent and children re-executed through package
// process — unless the transport is in-process (go-chan, memcpy, the
// goroutines reference of pool-cpu). Scenarios are registered with Register
// from init, each defined in its own file here (bench sits above every other
// package), with no change to the runner, the tables, the JSON or the plots;
// its CPython side is one more function in python/mp_bench.py. The
// scenarios without messages share objects instead of a link: their workers
// are a crew (crew.go), started before the clock and released together, and
// each checks an exact count or result instead of payloads. CPython's
// multiprocessing is one more transport (cpython-mp, python.go) of the kind
// that runs whole cases itself: RunCase hands it the cases of the scenarios
// its script has a body for, and no scenario body knows of it. Every
// system call goes through package internal/kernel.
//
// What the numbers promise:
//
//   - Every byte of every message is written by the sender and read and
//     checked by the receiver: each message carries its sequence number and a
//     window of a fixed random pattern chosen by that number (pattern.go), so
//     a stale, torn, reordered or duplicated message fails the run. Fanin also
//     proves every message arrived exactly once.
//   - A transport that fails, or a peer that hangs past its bound (it is
//     killed), gives a Result whose Note says so; the run goes on.
//   - Each Result carries the baseline it was compared with, from the same
//     run: the faster of os-pipe and pipe-raw for the transport scenarios,
//     CPython's multiprocessing doing the same for lock, value, dict,
//     pool-trivial and spawn, and the same language's serial loop for
//     pool-cpu. Counts are exact: a lost increment, a wrong task result or a
//     dict value other than the last one written fails the case.
//     Never compare figures of two runs: the machines this project runs on
//     change speed regimes for minutes at a time. Config.Rounds interleaves
//     several passes over every case and keeps each case's median.
//   - shm-spsc's zero-copy stream modes (spin-zerocopy, blocking-zerocopy)
//     write and check messages in the ring itself; the plain modes copy in
//     and out like every other transport.
//
// Sharp edges: a binary (or test binary) that runs cross-process cases must
// call process.Main first thing in main (or TestMain). Spinning transports
// own a core each while they run: on a 2-core machine other load skews them,
// and a case that runs past its bound is reported as hung or too slow.
// Config.Pin makes spinners repeatable but slows every transport that
// sleeps (see pin.go).
package bench
