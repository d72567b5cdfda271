package bench

import (
	"context"
	"errors"
	"os"
	"slices"
	"sort"
)

// A transport carries messages between two ends, A and B. For the
// two-party scenarios A is the parent (pinger, sender) and B the child;
// in fanin every producer holds an A end and every consumer a B end, all
// sharing one channel.
type transport struct {
	name  string
	modes []string // nil: one unnamed mode
	// streamModes, when set, replaces modes in the stream scenario.
	streamModes []string
	inProcess   bool // both ends must live in one process (go-chan)
	batch       bool // has a batched send path worth measuring
	fanin       bool // many producers and consumers may share one link
	// faninMax, when set, is the largest message a shared link keeps
	// whole: a byte stream written by two processes keeps a write whole
	// only up to PIPE_BUF (POSIX, for pipes; the same holds for a unix
	// stream socket's single skb), so larger fanin cases are skipped.
	faninMax int
	// maxDatagram, when set, is the largest message (times batch) the
	// transport sends as one datagram: larger cases are skipped.
	maxDatagram int
	maxSize     int  // largest message (times batch); 0 = MaxSize
	pingOnly    bool // only in pingpong (cacheline)
	// skip, when it returns a reason, leaves the transport out with a note.
	skip func() string
	// open makes a link in the parent for case c.
	open func(c Case) (*link, error)
	// end opens one end of a link, in whichever process holds it.
	end func(ctx context.Context, spec endSpec, files []*os.File) (Conn, error)

	// run, for a transport that is another runtime doing the same work in
	// its own processes (CPython's multiprocessing), measures a whole case
	// of one of the scenarios in runs, in place of the scenario's own Run;
	// such a transport has no ends (open and end are nil), and bench
	// cannot pin its processes.
	run  func(ctx context.Context, c Case) Result
	runs []string
}

// runner returns the transport called name when it runs the cases of
// scenario itself, else nil.
func runner(name, scenario string) *transport {
	if t := transports[name]; t != nil && t.run != nil && slices.Contains(t.runs, scenario) {
		return t
	}
	return nil
}

// transportsFor returns, in display order, the link transports for which
// keep reports true, and every transport that runs scenario itself: what
// a transport scenario lists as its Transports.
func transportsFor(scenario string, keep func(*transport) bool) []string {
	return transportNames(func(t *transport) bool {
		if t.run != nil {
			return slices.Contains(t.runs, scenario)
		}
		return keep(t)
	})
}

// linkTransports returns, in display order, the transports with ends (not
// runners) for which keep reports true: those a scenario's body drives.
func linkTransports(keep func(*transport) bool) []string {
	return transportNames(func(t *transport) bool { return t.run == nil && keep(t) })
}

// endSpec is what a process needs to open its end: plain data, since it
// travels to children (with the end's files, passed by process.WithFiles).
type endSpec struct {
	Transport string
	Mode      string
	Side      int    // 0 = A, 1 = B
	Handle    []byte // shm transports: the marshalled shm.Handle of the link
	ID        int    // in-process transports: the link's id in this process
	Size      int    // largest send or receive, in bytes (size × batch)
	Msg       int    // one message's size
}

// link is a transport instance made by the parent.
type link struct {
	specs [2]endSpec
	files [2][]*os.File // descriptors of each end; nil for shm and in-process
	close func() error  // releases what open made (segments, ids)
}

// Close closes the link's descriptors and releases its resources.
func (l *link) Close() error {
	var err error
	for _, fs := range l.files {
		for _, f := range fs {
			if e := f.Close(); e != nil && !errors.Is(e, os.ErrClosed) {
				err = errors.Join(err, e)
			}
		}
	}
	if l.close != nil {
		err = errors.Join(err, l.close())
	}
	return err
}

var transports = map[string]*transport{}

func addTransport(t *transport) *transport { transports[t.name] = t; return t }

// transportNames returns the names of the transports for which keep
// reports true, sorted in the suite's display order.
func transportNames(keep func(*transport) bool) []string {
	var out []string
	for n, t := range transports {
		if keep(t) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return displayRank(out[i]) < displayRank(out[j]) })
	return out
}

// displayOrder: shmkit first, then the physical limits, then the kernel
// transports from fastest to slowest, then NATS (past one machine),
// CPython last.
var displayOrder = []string{
	"shm-spsc", "shm-mpmc", "cacheline", "memcpy", "go-chan",
	"pipe-raw", "os-pipe", "unix-stream", "unix-seqpacket", "tcp-loopback", natsPool, natsKV, cpythonMP,
}

func displayRank(name string) int {
	for i, n := range displayOrder {
		if n == name {
			return i
		}
	}
	return len(displayOrder)
}
