package manager

import (
	"context"
	"net"

	"github.com/shmkit/shmkit/manager/remote"
)

// The remote protocol lives in package remote; these names keep manager's
// API as it was. Server, Client and RemoteDict are remote's types
// themselves (aliases), not wrappers.
type (
	// Server serves a Manager's dicts over TCP: see remote.Server.
	Server = remote.Server
	// Client is an authenticated connection to a Server: see
	// remote.Client.
	Client = remote.Client
	// RemoteDict is a Dict served by a Server: see remote.Dict.
	RemoteDict = remote.Dict
	// RemoteQueueOptions size a queue a client creates on a Server: see
	// remote.QueueOptions.
	RemoteQueueOptions = remote.QueueOptions
)

// RemoteQueue is a typed queue served by a Server, the same MPMC queue
// Queue[T] finds in place on the server's machine: see remote.Queue.
type RemoteQueue[T any] = remote.Queue[T]

// OpenRemoteQueue returns a proxy for the queue called name on c's server,
// creating it there with opts if it does not exist (opts nil: it must
// exist): remote.OpenQueue.
func OpenRemoteQueue[T any](ctx context.Context, c *Client, name string, opts *RemoteQueueOptions) (*RemoteQueue[T], error) {
	return remote.OpenQueue[T](ctx, c, name, opts)
}

const (
	// DefaultMaxFrame bounds a frame (request or reply) by default.
	DefaultMaxFrame = remote.DefaultMaxFrame
	// DefaultHandshakeTimeout bounds the handshake.
	DefaultHandshakeTimeout = remote.DefaultHandshakeTimeout
)

var _ Dict = (*RemoteDict)(nil)

// Serve serves m's dicts on ln with authKey until ctx ends (see Server).
func (m *Manager) Serve(ctx context.Context, ln net.Listener, authKey []byte) error {
	s := &Server{Manager: m, AuthKey: authKey}
	return s.Serve(ctx, ln)
}

// Dial connects to the manager server at addr (host:port over TCP, or
// "unix:/path" for a Unix socket on this machine) and authenticates with
// authKey; ErrAuth when either side has the wrong key (remote.Dial).
func Dial(ctx context.Context, addr string, authKey []byte) (*Client, error) {
	return remote.Dial(ctx, addr, authKey)
}
