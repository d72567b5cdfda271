package ring

import (
	"fmt"

	"github.com/shmkit/shmkit/shm"
)

// Describers for shmkit inspect: one line of live state. They go through
// the same validating constructors as every attach, so a hostile object
// yields an error line, never an out-of-bounds read.
func init() {
	shm.RegisterKind(shm.KindRing, "ring", describeRing)
	shm.RegisterKind(shm.KindQueue, "queue", describeQueue)
	shm.RegisterKind(shm.KindPipe, "pipe", describePipe)
}

func describeStats(s Stats, unit string) string {
	d := fmt.Sprintf("len %d/%d%s, in %d out %d", s.Len, s.Cap, unit, s.In, s.Out)
	if s.Sleeps != 0 || s.Wakes != 0 {
		d += fmt.Sprintf(", sleeps %d wakes %d", s.Sleeps, s.Wakes)
	}
	if s.DeadSkipped != 0 {
		d += fmt.Sprintf(", dead skipped %d", s.DeadSkipped)
	}
	if s.Closed {
		d += ", closed"
	}
	return d
}

func describeRing(o *shm.Object) string {
	r, err := ringFrom(o, o.Bytes())
	if err != nil {
		return err.Error()
	}
	return describeStats(r.Stats(), " B")
}

func describeQueue(o *shm.Object) string {
	q, err := mpmcFrom(o)
	if err != nil {
		return err.Error()
	}
	return describeStats(q.Stats(), " slots")
}

func describePipe(o *shm.Object) string {
	p, err := pipeFrom(o)
	if err != nil {
		return err.Error()
	}
	d := "a→b: " + describeStats(p.a.Stats(), " B")
	if p.b != nil {
		d += "; b→a: " + describeStats(p.b.Stats(), " B")
	}
	return d
}
