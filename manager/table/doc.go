// Package table is the hash table in shared memory behind package
// manager's Dict, List, Set and Namespace: the object layout, its allocator,
// crash repair and Reclaim, and the striped robust locks. Every process
// that maps the segment reads and writes the table in place (the way
// nginx's shared dict serves its workers): no server, no round trip.
//
// Most code reaches it through package manager: manager.LocalDict is
// Dict, manager.List is List, manager.DictOptions is Options, and
// Manager.Dict and Manager.List find or create them by name. Import this
// package directly to keep a table in a segment you manage yourself
// (NewDict and OpenDict on an shm.Segment, shm.AttachAs[table.Dict] on a handle), without a
// Manager. Package remote serves these tables over TCP.
//
//	d, _ := table.NewDict(seg, "config", nil)
//	d.Set(ctx, "mode", []byte("fast"))
//	v, ok, _ := d.Get(ctx, "mode")
//
// What is here:
//
//   - Dict: []byte values under string keys; Get (lock-free), Set,
//     Delete, Pop, SetDefault, CompareAndSwap, CompareAndDelete, Update
//     (atomic read-modify-write), SetMany (all or nothing), PopItem,
//     Clear, Snapshot, Keys/Values/Items iterators, Reclaim and Stats.
//   - List: Python's MutableSequence — Get/Set by index (negative from
//     the end), Append, Extend, Insert, Pop(i), Delete, Remove, Index,
//     Count, Contains, Reverse, Slice, SetSlice, DeleteSlice, Update,
//     Clear, Len, All and Backward: a one-stripe table keyed by index,
//     whose moves commit through a journal record (list_journal.go).
//   - Set: a Dict of members with empty values under a kind of its own
//     (KindSet): Add, Discard, Remove, Contains, Pop, Update, Clear, All.
//   - NewKind, OpenKind, AttachKind: a Dict under an object kind of its
//     own (manager's Namespace), so a typed open of the wrong kind fails.
//
// The files, one idea each: options.go (sizes and their defaults),
// layout.go (the object's layout, read once and checked), mem.go (the
// only unsafe casts), lock.go (the stripe lock), table.go (the write
// protocol), read.go (optimistic reads), alloc.go (size classes and free
// lists), reclaim.go (crash repair and Reclaim), iter.go (iteration,
// Snapshot, SetMany), dict.go and list.go (the two object types),
// list_seq.go and list_journal.go (the List's moves and their crash
// protocol), set.go (the Set), pop.go (PopItem and Set.Pop),
// describe.go (shmkit inspect's line), format.go (String).
//
// # Capacity
//
// A table's entry count, arena bytes and key and value maxima are fixed at
// creation (Options). A Set that does not fit returns ErrFull and changes
// nothing; one over the maxima returns ErrTooLarge. Entries live in
// blocks of size classes; deleted and replaced entries' blocks are reused
// by entries of the same class, and Reclaim (run by itself before an
// ErrFull it may avoid) merges adjacent free blocks. Each process keeps at
// most one freed block per stripe for its own next write there (so
// replacing a value touches no shared allocator word); Reclaim returns
// those too. Replacing a value needs room for the new block before the
// old one is freed (that is what makes it crash-safe), so a table filled
// to the last byte refuses even a same-size replacement.
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
// that fails or dies while recounting leaves the recount to the next).
// The dead process may leak the block it was writing; Reclaim recovers
// it. A List operation is all or nothing even when it moves many
// elements (Insert, Reverse, SetSlice…): it stages the new values, commits
// them with one journal record, and the next operation finishes or undoes
// what a killed writer left (list_journal.go).
//
// # Sharp edges
//
// A Dict or List points into its segment: it is valid while the segment
// is mapped in this process (whoever owns the segment closes it; the
// proxies hold nothing to Close). Values are copied in and out, except
// through GetAppend, which appends to the caller's buffer. A goroutine
// waiting for a contended lock sleeps in FUTEX_WAIT and holds an OS thread
// meanwhile. Update's function runs with a stripe lock held: it must not
// call the same table (the lock is not reentrant). Iteration is weakly
// consistent (see Dict). Every offset read from shared memory is checked:
// a corrupt or hostile table is ErrCorrupt, never a panic.
package table
