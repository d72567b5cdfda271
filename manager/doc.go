// Package manager shares dictionaries, namespaces, lists and queues
// between processes: Python's multiprocessing Manager, at memory speed
// locally and over TCP with an authentication key remotely.
//
// Python's Manager().dict() is a server process: every d[k] = v is a round
// trip (~30 µs). Here a Dict is a hash table in shared memory: every
// process that maps the segment reads and writes it in place, under
// striped robust locks, with no server. The same Dict interface is served
// over TCP by Serve and used by Dial for processes on other machines.
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
//     Get, Set, Delete, Pop, PopItem, SetDefault, CompareAndSwap, CompareAndDelete,
//     Update (atomic read-modify-write), SetMany (all or nothing), Clear,
//     Snapshot, and Keys/Values/Items iterators.
//   - TypedDict[V] (Typed) and TypedList[V] (TypedListOf): the same over
//     a codec.Codec (codec.Default unless given), local or remote; for a
//     pointer to a shared object (*List, *LocalDict, *ring.Queue[E]…)
//     ProxyCodec's, so that a container holds live proxies: a dict of
//     lists, a list of dicts, a dict of queues.
//   - Namespace: named fields of any gob-able type.
//   - Set (Manager.Set): a set of strings, Python's MutableSet: Add,
//     Discard, Remove, Contains (lock-free), Pop, Update, Clear, All.
//   - List: Python's list proxy, the whole MutableSequence (Append,
//     Extend, Insert, Pop(i), Delete, Remove, Index, Count, Reverse,
//     Slice, SetSlice…), each operation all or nothing across a kill -9.
//   - Serve, Dial, RemoteDict: the Dict interface over TCP.
//   - Queue[T](m, name, opts): package ring's typed MPMC queue, created
//     or found by name in the manager's segment (Python's
//     Manager().Queue()); OpenRemoteQueue[T] reaches the same queue over
//     TCP (RemoteQueue).
//   - Server.Register and Client.Create: CPython's
//     BaseManager.register(typeid, callable, exposed=…), a user's type
//     served with the methods it lists (package remote).
//
// # Where things live
//
// This package is the user-facing API: Manager, the Dict interface,
// TypedDict and its codecs, Namespace and Queue. Its two halves are
// packages of their own, and their names are here as aliases (the same
// types, not wrappers) so that code written against manager needs no
// other import:
//
//   - package table (manager/table) is the table in shared memory: its
//     layout, allocator, crash repair, Reclaim and locks. LocalDict is
//     table.Dict, List is table.List, Set is table.Set, DictOptions,
//     ListOptions, SetOptions and Stats are table's Options, ListOptions,
//     SetOptions and Stats; its doc says what a
//     table holds (Capacity) and what a kill -9 costs (Crashes).
//   - package remote (manager/remote) is the protocol: Server, Client,
//     RemoteDict (remote.Dict), the HMAC handshake and the frames; its doc
//     says what a hostile or stalled client can and cannot do.
//
// The sentinel errors (ErrFull, ErrTooLarge, ErrCorrupt, ErrNotFound,
// ErrAuth, ErrProtocol, ErrMethod) are those packages' values, so errors.Is works
// with either name, on either side of the wire.
//
// # Sharp edges
//
// Proxies point into their segment: they are valid while the segment is
// mapped (the Manager's Close unmaps it in the creating process). A
// goroutine waiting for a contended lock sleeps in FUTEX_WAIT and holds an
// OS thread meanwhile. Update's function runs with a lock held: it must not
// call the same dict. Iteration is weakly consistent (see Dict). A table's
// capacity is fixed at creation: a Set that does not fit is ErrFull and
// changes nothing. A remote Snapshot (and so remote iteration) is one
// frame: at most 32767 keys and DefaultMaxFrame bytes.
package manager
