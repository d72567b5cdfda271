// Package remote serves package table's dicts, package ring's queues and
// users' registered types over TCP (or a Unix socket) to processes that
// share an authentication key, and is the client that reaches them:
// Python's remote Manager, one call a frame.
//
// Most code reaches it through package manager: Manager.Serve starts a
// Server on a Manager, manager.Dial is Dial, and manager.Server, Client
// and RemoteDict are Server, Client and Dict here. Import this package
// directly for the limits of a Server (frame size, timeouts, connection
// count, an error log) or to serve a segment you manage yourself (any
// Source).
//
//	go (&remote.Server{Manager: m, AuthKey: key}).Serve(ctx, ln)
//	c, _ := remote.Dial(ctx, "host:7000", key)
//	defer c.Close()
//	d, _ := c.Dict(ctx, "config", nil) // must exist; opts create it
//	v, ok, _ := d.Get(ctx, "mode")
//
// What is served:
//
//   - Dicts (Client.Dict): the Dict interface of package manager.
//   - Queues (OpenQueue[T]): package ring's MPMC queue in the served
//     segment, by name, the one processes on the server's machine use in
//     place; Put and Get wait as their context allows, on a connection of
//     their own (queue.go), TryPut and TryGet never wait for room or a
//     value. A waiting client that hangs up (cancelled, killed) ends the
//     server's wait, so no value goes to a client that is gone.
//   - Registered types (Server.Register, Client.Create, Object.Call,
//     Call[A, R]): CPython's BaseManager.register(typeid, callable,
//     exposed=…). Only the methods listed reach an object, each by name
//     with codec-encoded bytes in and out (object_server.go).
//
// # The protocol
//
// Before any request, both sides prove they hold the shared key with an
// HMAC-SHA256 challenge-response (auth.go: fresh nonces, constant-time
// comparison; the key never crosses the wire and is never logged), so a
// client with a wrong key is refused and a client never talks to an
// impostor. Then length-prefixed binary frames (proto.go) with a size
// limit; a malformed request gets an error reply and the connection goes
// on, an oversized or stalled frame closes that connection, and every
// connection has an idle timeout (within an eighth over it): one bad
// client never disturbs the others. A registered method that panics is an error reply; a client
// holds at most MaxObjects objects of registered types between them. A frame's memory grows with the bytes that actually arrive (a
// declared 16 MiB frame that stalls costs 64 KiB), on the server and the
// client. A temporary Accept error (EMFILE, ENFILE, ECONNABORTED…) is
// logged and retried after a backoff of 5 ms doubling to 1 s; only a
// closed listener or the end of Serve's context stops it (server.go).
//
// Errors cross the wire as codes, so errors.Is(err, table.ErrFull) (the
// same value as manager.ErrFull) works on the client. A Client pipelines
// (client.go, client_conn.go): goroutines sharing it keep many requests in
// flight on one connection, and a lost connection is dialed again by the
// next call. A call made when no other is in flight reads its own reply on
// its own goroutine, so one request at a time costs what a bare TCP
// request and response do: a write and a read on each side. Neither side
// sets a deadline or starts a timer per request: the server's idle
// deadline moves once per eighth of IdleTimeout, and a request's
// RequestTimeout becomes a timer only if the request waits (deadline.go).
// A queue call that must wait takes a connection of its own from a small
// pool, so it holds up nothing behind it.
//
// # Sharp edges
//
// A remote Snapshot (and so remote iteration) is one frame: at most 32767
// keys and DefaultMaxFrame bytes. Update is a compare-and-swap loop: its
// function may run several times. A read-only request that meets a broken
// connection is sent once more on a new one; a write is not, and its
// error leaves open whether it happened. Closing a Dict closes its
// Client, and with it every Dict made from that Client. A registered
// method that blocks holds up the calls behind it on the Client's shared
// connection (until RequestTimeout): wait for values with a Queue. A Get
// whose value the server took in the instant its client hung up loses
// that value (as CPython's does). There is no remote List, Set or
// Namespace.
package remote
