// Package remote serves package table's dicts over TCP (or a Unix
// socket) to processes that share an authentication key, and is the
// client that reaches them: Python's remote Manager, one dict call a
// frame.
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
// # The protocol
//
// Before any request, both sides prove they hold the shared key with an
// HMAC-SHA256 challenge-response (auth.go: fresh nonces, constant-time
// comparison; the key never crosses the wire and is never logged), so a
// client with a wrong key is refused and a client never talks to an
// impostor. Then length-prefixed binary frames (proto.go) with a size
// limit; a malformed request gets an error reply and the connection goes
// on, an oversized or stalled frame closes that connection, and every
// connection has an idle timeout: one bad client never disturbs the
// others. A frame's memory grows with the bytes that actually arrive (a
// declared 16 MiB frame that stalls costs 64 KiB), on the server and the
// client. A temporary Accept error (EMFILE, ENFILE, ECONNABORTED…) is
// logged and retried after a backoff of 5 ms doubling to 1 s; only a
// closed listener or the end of Serve's context stops it (server.go).
//
// Errors cross the wire as codes, so errors.Is(err, table.ErrFull) (the
// same value as manager.ErrFull) works on the client. A Client pipelines
// (client.go): goroutines sharing it keep many requests in flight on one
// connection, and a lost connection is dialed again by the next call.
//
// # Sharp edges
//
// A remote Snapshot (and so remote iteration) is one frame: at most 32767
// keys and DefaultMaxFrame bytes. Update is a compare-and-swap loop: its
// function may run several times. A read-only request that meets a broken
// connection is sent once more on a new one; a write is not, and its
// error leaves open whether it happened. Closing a Dict closes its
// Client, and with it every Dict made from that Client. There is no remote
// List, Namespace or Queue.
package remote
