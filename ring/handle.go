package ring

import (
	"fmt"
	"os"

	"github.com/shmkit/shmkit/shm"
)

// MarshalBinary encodes the ring as its handle, so a *Ring travels to a
// child started by package process (gob uses it) or over any channel.
func (r *Ring) MarshalBinary() ([]byte, error) {
	if r.obj == nil {
		return nil, fmt.Errorf("ring inside a pipe: pass the pipe's Conn: %w", os.ErrInvalid)
	}
	return r.obj.Handle().MarshalBinary()
}

// UnmarshalBinary attaches the ring a MarshalBinary encoding names.
func (r *Ring) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, r) }

// AttachHandle attaches r to the ring h names (see shm.AttachAs).
func (r *Ring) AttachHandle(h shm.Handle) error {
	nr, err := attachRing(h)
	if err != nil {
		return err
	}
	r.adopt(nr)
	return nil
}

// adopt makes r a copy of the fresh handle nr (whose back-pointers point at
// nr), fixing the back-pointers.
func (r *Ring) adopt(nr *Ring) {
	r.obj, r.h, r.data, r.mask, r.cap, r.mode, r.errs = nr.obj, nr.h, nr.data, nr.mask, nr.cap, nr.mode, nr.errs
	r.p, r.c, r.dir = producer{r: r}, consumer{r: r}, nr.dir
}

// MarshalBinary encodes the queue as its handle.
func (q *MPMC) MarshalBinary() ([]byte, error) { return q.obj.Handle().MarshalBinary() }

// UnmarshalBinary attaches the queue a MarshalBinary encoding names.
func (q *MPMC) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, q) }

// AttachHandle attaches q to the queue h names (see shm.AttachAs).
func (q *MPMC) AttachHandle(h shm.Handle) error {
	nq, err := attachMPMC(h)
	if err != nil {
		return err
	}
	q.adopt(nq)
	return nil
}

func (q *MPMC) adopt(nq *MPMC) {
	q.obj, q.h, q.parts, q.area = nq.obj, nq.h, nq.parts, nq.area
	q.nslots, q.mask, q.limit, q.slotSize, q.payload = nq.nslots, nq.mask, nq.limit, nq.slotSize, nq.payload
	q.nparts, q.mode, q.local, q.errs = nq.nparts, nq.mode, nq.local, nq.errs
	// An entry of its own (nq's, never used, goes with nq).
	q.own = &ownEntry{l: q.local}
	keepOwn(q)
}
