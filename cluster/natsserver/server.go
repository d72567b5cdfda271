// Package natsserver runs a NATS server with JetStream inside this
// process: for tests, benchmarks, examples and single-machine setups of
// package natscluster, so that none of them needs a nats-server binary or a
// network. A real deployment runs nats-server itself (nats-server -js) and
// connects to it with natscluster.Connect.
//
// It sits apart from natscluster so that a program that only connects to
// a server does not link one: the server is about 15 MB of code.
//
// Sharp edges: Start binds 127.0.0.1 by default; a server started with a
// temporary store (Options.StoreDir empty) loses its streams at Shutdown;
// durability is the server's sync interval (Options.SyncAlways, see
// natscluster's Storage).
package natsserver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configure Start. The zero value is a JetStream server on a
// random port of 127.0.0.1 with a temporary store.
type Options struct {
	Host string // the address to listen on; 127.0.0.1 when ""
	Port int    // the client port; a free one when 0
	// StoreDir is where JetStream keeps its file streams; a temporary
	// directory, removed at Shutdown, when "".
	StoreDir string
	// SyncAlways makes the server fsync every write before acknowledging
	// it (nats-server's jetstream { sync_interval: always }): slower, and
	// then an acknowledged write to a file stream survives a machine
	// crash. Otherwise the server syncs every SyncInterval (2 minutes by
	// default) and a crash of the machine may lose what was written since.
	SyncAlways   bool
	SyncInterval time.Duration
	// User and Password, when set, are required of every client.
	User, Password string
	// MaxPayload is the largest message the server accepts (1 MiB when 0).
	MaxPayload int32
	// Cluster, when set, makes the server one of a cluster (see
	// StartCluster).
	Cluster *Cluster
	// ReadyTimeout bounds the wait for the server to accept clients (10 s
	// when 0).
	ReadyTimeout time.Duration
}

// Cluster places a server in a cluster of JetStream servers.
type Cluster struct {
	Name       string   // the cluster's name, the same on every server
	ServerName string   // this server's name, unique in the cluster
	Port       int      // the route port of this server
	Routes     []string // nats-route://host:port of every server, this one included
}

// Server is a running embedded server.
type Server struct {
	s    *server.Server
	opts Options
	port int    // the client port, kept for Restart
	tmp  string // the temporary store, removed at Shutdown
}

// Start starts a server and waits until it accepts clients.
func Start(opts Options) (*Server, error) {
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 10 * time.Second
	}
	srv := &Server{opts: opts}
	dir := opts.StoreDir
	if dir == "" {
		d, err := os.MkdirTemp("", "shmkit-nats-*")
		if err != nil {
			return nil, fmt.Errorf("starting embedded nats server: %w", err)
		}
		dir, srv.tmp = d, d
	}
	so := &server.Options{
		Host:         opts.Host,
		Port:         opts.Port,
		JetStream:    true,
		StoreDir:     dir,
		SyncAlways:   opts.SyncAlways,
		SyncInterval: opts.SyncInterval,
		Username:     opts.User,
		Password:     opts.Password,
		MaxPayload:   opts.MaxPayload,
		NoLog:        true,
		NoSigs:       true,
	}
	if so.Port == 0 {
		so.Port = server.RANDOM_PORT
	}
	if c := opts.Cluster; c != nil {
		so.ServerName = c.ServerName
		so.Cluster = server.ClusterOpts{Name: c.Name, Host: opts.Host, Port: c.Port}
		for _, r := range c.Routes {
			u, err := url.Parse(r)
			if err != nil {
				srv.removeTmp()
				return nil, fmt.Errorf("starting embedded nats server: route %q: %w", r, err)
			}
			so.Routes = append(so.Routes, u)
		}
	}
	s, err := server.NewServer(so)
	if err != nil {
		srv.removeTmp()
		return nil, fmt.Errorf("starting embedded nats server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(opts.ReadyTimeout) {
		s.Shutdown()
		s.WaitForShutdown()
		srv.removeTmp()
		return nil, fmt.Errorf("starting embedded nats server: not ready for connections within %v", opts.ReadyTimeout)
	}
	srv.s = s
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		srv.port = a.Port
	}
	return srv, nil
}

// URL is the address clients connect to: nats://host:port.
func (s *Server) URL() string { return s.s.ClientURL() }

// Port is the client port the server listens on.
func (s *Server) Port() int { return s.port }

// StoreDir is the directory of the server's file streams.
func (s *Server) StoreDir() string { return s.s.StoreDir() }

// Name is the server's name (its cluster name when in a cluster).
func (s *Server) Name() string { return s.s.Name() }

// Internal is the server itself, for what this package does not wrap
// (its JetStream state, say).
func (s *Server) Internal() *server.Server { return s.s }

// Shutdown stops the server, waits until it has stopped, and removes its
// temporary store if it had one. Clients see their connection drop. It is
// idempotent.
func (s *Server) Shutdown() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
	s.removeTmp()
}

func (s *Server) removeTmp() {
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
		s.tmp = ""
	}
}

// Restart starts a server again with s's options on the port s had,
// after s was shut down: its file streams come back from the same store
// (a temporary store does not outlive Shutdown, so s needs a StoreDir).
func (s *Server) Restart() (*Server, error) {
	if s.opts.StoreDir == "" {
		return nil, errors.New("restarting embedded nats server: it had a temporary store: set Options.StoreDir")
	}
	opts := s.opts
	opts.Port = s.Port()
	return Start(opts)
}

// StartCluster starts n servers forming one JetStream cluster, each with
// its store in its own subdirectory of dir, and returns once every one
// accepts clients (JetStream's leader election may still be under way:
// the first stream created waits for it). Shut each down.
func StartCluster(n int, dir string, opts Options) ([]*Server, error) {
	if n < 1 {
		return nil, fmt.Errorf("cluster of %d servers: %w", n, os.ErrInvalid)
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	ports, err := freePorts(host, n)
	if err != nil {
		return nil, err
	}
	var routes []string
	for _, p := range ports {
		routes = append(routes, "nats-route://"+net.JoinHostPort(host, strconv.Itoa(p)))
	}
	var out []*Server
	for i := range n {
		o := opts
		o.StoreDir = fmt.Sprintf("%s/s%d", dir, i+1)
		o.Cluster = &Cluster{Name: "shmkit", ServerName: fmt.Sprintf("s%d", i+1), Port: ports[i], Routes: routes}
		s, err := Start(o)
		if err != nil {
			for _, s := range out {
				s.Shutdown()
			}
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// freePorts finds n ports nothing listens on (another process may take
// one before the server does: a test retries).
func freePorts(host string, n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
