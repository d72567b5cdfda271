// Package manager shares dictionaries, namespaces and lists between
// processes: Python's multiprocessing Manager, at memory speed locally and
// over TCP with an authentication key remotely.
//
// Python's Manager().dict() is a server process: every d[k] = v is a round
// trip (~30 µs). Here a Dict is a hash table in shared memory (the way
// nginx's shared dict serves its workers): every process that maps the
// segment reads and writes it in place, under striped robust locks, with
// no server. The same Dict interface is served over TCP by Serve and used
// by Dial for processes on other machines.
//
//	m, _ := manager.New(nil)          // owns an anonymous segment
//	defer m.Close()
//	d, _ := m.Dict("config", nil)     // *LocalDict; pass it to children
//	d.Set(ctx, "mode", []byte("fast"))
//	v, ok, _ := d.Get(ctx, "mode")
//
// What to reach for:
//
//   - LocalDict (Manager.Dict, NewDict): []byte values under string keys;
//     Get, Set, Delete, Pop, SetDefault, CompareAndSwap, CompareAndDelete,
//     Update (atomic read-modify-write), SetMany (all or nothing), Clear,
//     Snapshot, and Keys/Values/Items iterators.
//   - TypedDict[V] (Typed): the same over a Codec (gob by default).
//   - Namespace: named fields of any gob-able type.
//   - List: Append, Get/Set by index, Pop, Len, Snapshot.
//   - Serve, Dial, RemoteDict: the Dict interface over TCP.
//   - Queue[T](m, name, opts): package ring's typed MPMC queue, created
//     or found by name in the manager's segment (Python's
//     Manager().Queue()). There is no remote Queue.
//
// # Capacity
//
// A table's entry count, arena bytes and key and value maxima are fixed at
// creation (DictOptions). A Set that does not fit returns ErrFull and
// changes nothing; one over the maxima returns ErrTooLarge. Entries live in
// blocks of size classes; deleted and replaced entries' blocks are reused
// by entries of the same class, and Reclaim (run by itself before an
// ErrFull it may avoid) merges adjacent free blocks. Each process keeps at
// most one freed block per stripe for its own next write there (so
// replacing a value touches no shared allocator word); Reclaim returns
// those too. Replacing a value
// needs room for the new block before the old one is freed (that is what
// makes it crash-safe), so a table filled to the last byte refuses even a
// same-size replacement.
//
// # Crashes
//
// A process killed with kill -9 in the middle of any operation leaves each
// key with its old or its new value, never a torn one: a new entry is
// written whole before one atomic store publishes it. The stripe locks
// are shmkit's one robust lock word (internal/owner, the same as
// sync.Mutex): they record their holder's pid and start time; a waiter
// takes the lock of a dead holder over within tens of milliseconds,
// recounts the stripe, marks the lock consistent and goes on (a taker
// that fails or dies while recounting leaves the recount to the next). The dead process may leak the block it was writing; Reclaim recovers
// it.
//
// # Remote
//
// Manager.Serve (or a Server, for its limits) serves the manager's dicts on
// any net.Listener; Dial connects over TCP (or "unix:/path"). Before any
// request, both sides prove they hold the shared key with an HMAC-SHA256
// challenge-response (fresh nonces, constant-time comparison; the key
// never crosses the wire and is never logged), so a client with a wrong
// key is refused and a client never talks to an impostor. Then
// length-prefixed binary frames (proto.go) with a size limit; a malformed
// request gets an error reply and the connection goes on, an oversized or
// stalled frame closes that connection, and every connection has an idle
// timeout: one bad client never disturbs the others. A frame's memory
// grows with the bytes that actually arrive (a declared 16 MiB frame that
// stalls costs 64 KiB), on the server and the client. A temporary Accept
// error (EMFILE, ENFILE, ECONNABORTED…) is logged and retried after a
// backoff of 5 ms doubling to 1 s; only a closed listener or the end of
// Serve's context stops it. Errors cross the wire
// as codes, so errors.Is(err, ErrFull) works on the client. A Client
// pipelines: goroutines sharing it keep many requests in flight on one
// connection. A remote Snapshot (and so remote iteration) is one frame:
// at most 32767 keys and DefaultMaxFrame bytes.
//
// # Sharp edges
//
// Proxies point into their segment: they are valid while the segment is
// mapped (the Manager's Close unmaps it in the creating process). A
// goroutine waiting for a contended lock sleeps in FUTEX_WAIT and holds an
// OS thread meanwhile. Update's function runs with a lock held: it must not
// call the same dict. Iteration is weakly consistent (see Dict).
package manager
