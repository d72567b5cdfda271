package ring

import (
	"fmt"

	"github.com/shmkit/shmkit/internal/owner"
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
	return describeStats(r.Stats(), " B") + describeOwners(r)
}

// describeOwners names the processes that started each side of a ring,
// and whether they still run.
func describeOwners(r *Ring) string {
	d := ""
	for _, s := range []struct {
		role string
		id   uint64
	}{{"writer", r.h.prod.owner.Load()}, {"reader", r.h.cons.owner.Load()}} {
		if s.id != 0 {
			d += ", " + s.role + " " + owner.Describe(s.id)
		}
	}
	return d
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
	d := "a→b: " + describeStats(p.a.Stats(), " B") + describeOwners(p.a)
	if p.b != nil {
		d += "; b→a: " + describeStats(p.b.Stats(), " B") + describeOwners(p.b)
	}
	return d + "; " + p.describeEnd(0) + ", " + p.describeEnd(1)
}
