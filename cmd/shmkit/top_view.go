package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shmkit/shmkit/bench"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// A topWatcher samples one segment for shmkit top: every object's live
// state (its package's describer, as inspect shows it) and, for rings and
// queues, their counters, from which a frame computes rates. It opens each
// ring and queue once, through the packages' own validating constructors,
// and only reads them: it takes no participant entry and no end.
type topWatcher struct {
	seg    *shm.Segment
	rings  map[string]*ring.Ring
	queues map[string]*ring.MPMC
}

// topSample is what one look at the segment saw.
type topSample struct {
	at      time.Time
	info    shm.Info
	attach  attach
	removed bool // the file is gone from /dev/shm (this process still maps it)
	objs    []topObject
	err     error // objects that failed validation
}

// topObject is one object in a sample.
type topObject struct {
	kind        shm.Kind
	name        string
	state       string
	stats       *ring.Stats // rings and queues
	alive, dead int         // a queue's participants
}

func newTopWatcher(s *shm.Segment) *topWatcher {
	return &topWatcher{seg: s, rings: map[string]*ring.Ring{}, queues: map[string]*ring.MPMC{}}
}

func (w *topWatcher) sample() *topSample {
	s := &topSample{at: time.Now(), info: w.seg.Info()}
	s.attach = scanMappings().of(w.seg.Name()).Except(os.Getpid())
	if _, err := os.Stat(filepath.Join(shm.Dir, w.seg.Name())); err != nil {
		s.removed = true
	}
	objs, err := w.seg.Objects()
	s.err = err
	for _, o := range objs {
		s.objs = append(s.objs, w.object(o))
	}
	return s
}

func (w *topWatcher) object(o *shm.Object) topObject {
	t := topObject{kind: o.Kind(), name: o.Name(), state: shm.Describe(o)}
	switch o.Kind() {
	case shm.KindRing:
		r := w.rings[o.Name()]
		if r == nil {
			r, _ = ring.OpenRing(w.seg, o.Name())
			w.rings[o.Name()] = r
		}
		if r != nil {
			st := r.Stats()
			t.stats = &st
		}
	case shm.KindQueue:
		q := w.queues[o.Name()]
		if q == nil {
			q, _ = ring.OpenMPMC(w.seg, o.Name())
			w.queues[o.Name()] = q
		}
		if q != nil {
			st := q.Stats()
			t.stats = &st
			t.alive, t.dead = q.Participants()
		}
	}
	return t
}

// frame renders cur, with rates over the time since prev (none when prev
// is nil), as lines without line ends.
func (w *topWatcher) frame(prev, cur *topSample, every time.Duration) []string {
	var b strings.Builder
	i := cur.info
	fmt.Fprintf(&b, "shmkit top %s   %s   every %v   (q or Ctrl-C quits)\n", w.seg.Name(), cur.at.Format(time.TimeOnly), every)
	removed := ""
	if cur.removed {
		removed = "; removed from " + shm.Dir + " (still mapped here)"
	}
	fmt.Fprintf(&b, "%s, %s used, %s; creator %s; %s%s\n\n", shm.FormatBytes(uint64(i.Size)), shm.FormatBytes(uint64(i.Used)),
		plural(len(cur.objs), "object", "objects"), creator(i.CreatorPID, !i.Stale), cur.attach.Describe(), removed)
	var dt float64
	before := map[string]*ring.Stats{}
	if prev != nil {
		dt = cur.at.Sub(prev.at).Seconds()
		for _, o := range prev.objs {
			before[o.name] = o.stats
		}
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tDEPTH\tIN/s\tOUT/s\tWAITS/s\tSTATE")
	for _, o := range cur.objs {
		depth, in, out, waits := "-", "-", "-", "-"
		state := o.state
		if st := o.stats; st != nil {
			depth = fmt.Sprintf("%d/%d", st.Len, st.Cap)
			if o.kind == shm.KindRing {
				depth = shm.FormatBytes(uint64(st.Len)) + "/" + shm.FormatBytes(uint64(st.Cap))
			}
			if p := before[o.name]; p != nil && dt > 0 {
				in, out = rate(st.In-p.In, dt), rate(st.Out-p.Out, dt)
				waits = rate(st.FullWaits+st.EmptyWaits-p.FullWaits-p.EmptyWaits, dt)
			}
		}
		if st := o.stats; st != nil {
			// The describer's depth and totals were read a moment apart
			// from the columns': keep the columns', and the rest of its line.
			rest := strings.TrimPrefix(countsPrefix.ReplaceAllString(state, ""), "; ")
			state = fmt.Sprintf("total in %d out %d", st.In, st.Out)
			if o.kind == shm.KindQueue {
				state = fmt.Sprintf("participants %d alive, %d dead; %s", o.alive, o.dead, state)
			}
			if rest != "" {
				state += ", " + rest
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.kind, o.name, depth, in, out, waits, state)
	}
	tw.Flush()
	if len(cur.objs) == 0 {
		b.WriteString("(no objects yet)\n")
	}
	if cur.err != nil {
		fmt.Fprintf(&b, "unreadable objects: %v\n", cur.err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

// countsPrefix is the start of ring's description of a ring or queue
// ("len 2/64 slots, in 4102 out 4100, "), which top's columns replace.
var countsPrefix = regexp.MustCompile(`^len \d+/\d+( B| slots)?, in \d+ out \d+(, )?`)

// rate writes n events over dt seconds: "0", "12/s" or "1.25 M/s".
func rate(n uint64, dt float64) string {
	if n == 0 || n > 1<<62 { // a counter that went back (a re-created object) shows 0
		return "0"
	}
	return strings.Replace(bench.FormatRate(float64(n)/dt, ""), " /s", "/s", 1)
}
