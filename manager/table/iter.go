package table

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"slices"
	"sync/atomic"

	"github.com/shmkit/shmkit/internal/seq"
)

type kv struct {
	k string
	v []byte
}

// stripeItems copies stripe i's entries under its lock.
func (t *table) stripeItems(ctx context.Context, i uint64, dst []kv) ([]kv, error) {
	s, err := t.lockStripe(ctx, i)
	if err != nil {
		return dst, err
	}
	defer s.Lock.unlock(t.me)
	return dst, t.walkStripe(i, func(bl block) {
		dst = append(dst, kv{string(t.key(bl)), bytes.Clone(t.value(bl))})
	})
}

// items is the weakly consistent iteration of Dict (see there): one
// stripe at a time, copied under its lock and yielded with no lock held.
func (t *table) items(ctx context.Context) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		var buf []kv
		for i := range t.l.stripes {
			var err error
			if buf, err = t.stripeItems(ctx, i, buf[:0]); err != nil {
				return
			}
			for _, e := range buf {
				if !yield(e.k, e.v) {
					return
				}
			}
		}
	}
}

// Items yields every key and value; see Dict for its consistency.
func (d *Dict) Items(ctx context.Context) iter.Seq2[string, []byte] { return d.t.items(ctx) }

// Keys yields every key; see Dict for its consistency.
func (d *Dict) Keys(ctx context.Context) iter.Seq[string] { return seq.Keys(d.t.items(ctx)) }

// Values yields every value; see Dict for its consistency.
func (d *Dict) Values(ctx context.Context) iter.Seq[[]byte] { return seq.Values(d.t.items(ctx)) }

// Snapshot returns a copy of the whole table, taken atomically (every
// stripe locked at once).
func (d *Dict) Snapshot(ctx context.Context) (map[string][]byte, error) {
	t := d.t
	if err := t.lockAll(ctx); err != nil {
		return nil, err
	}
	defer t.unlockAll()
	m := make(map[string][]byte)
	for i := range t.l.stripes {
		err := t.walkStripe(i, func(bl block) { m[string(t.key(bl))] = bytes.Clone(t.value(bl)) })
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// SetMany sets every key of items atomically: the stripes they fall in are
// locked together (in index order), every new block is allocated and
// written first, and only when all fit are they published. ErrFull or
// ErrTooLarge leave the table as it was.
func (d *Dict) SetMany(ctx context.Context, items map[string][]byte) error {
	t := d.t
	if len(items) == 0 {
		return nil
	}
	for k, v := range items {
		if uint64(len(k)) > t.l.maxKey || uint64(len(v)) > t.l.maxValue {
			return fmt.Errorf("SetMany key %q (%d bytes, value %d): maxima %d and %d: %w",
				truncate(k), len(k), len(v), t.l.maxKey, t.l.maxValue, ErrTooLarge)
		}
	}
	err := t.setMany(ctx, items)
	if err == ErrFull && t.reclaimMayHelp() {
		if err = t.reclaim(ctx); err == nil {
			err = t.setMany(ctx, items)
		}
	}
	if err == ErrFull {
		return fmt.Errorf("%s: SetMany of %d keys: %w", t.obj.Name(), len(items), ErrFull)
	}
	return err
}

type pending struct {
	key  string
	h    uint64
	idx  uint32
	size uint64
}

func (t *table) setMany(ctx context.Context, items map[string][]byte) error {
	ps := make([]pending, 0, len(items))
	var stripes []uint64
	for k := range items {
		h := t.hash(bytesOf(k))
		ps = append(ps, pending{key: k, h: h})
		stripes = append(stripes, t.stripeOf(h))
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for n, i := range stripes {
		if _, err := t.lockStripe(ctx, i); err != nil {
			for _, j := range stripes[:n] {
				t.stripe(j).Lock.unlock(t.me)
			}
			return err
		}
	}
	defer func() {
		for _, i := range stripes {
			t.stripe(i).Lock.unlock(t.me)
		}
	}()
	// Phase 1: reserve and write every block, publishing nothing.
	var reserved int
	undo := func() {
		for _, p := range ps {
			if p.idx != 0 {
				t.free(p.idx, t.classFor(p.size))
			}
		}
		for range reserved {
			t.unreserve()
		}
	}
	for n := range ps {
		p := &ps[n]
		sl, err := t.locate(t.stripe(t.stripeOf(p.h)), p.h, bytesOf(p.key))
		if err != nil {
			undo()
			return err
		}
		if !sl.found {
			if !t.reserve() {
				undo()
				return ErrFull
			}
			reserved++
		}
		p.size = blockSizeFor(uint64(len(p.key)), uint64(len(items[p.key])))
		if p.idx, err = t.alloc(p.size, t.stripeOf(p.h)); err != nil {
			p.idx = 0
			undo()
			return err
		}
		t.writeBlock(p.idx, p.h, bytesOf(p.key), items[p.key])
	}
	// Phase 2: publish each, locating it again (an earlier publish may
	// have changed its chain).
	for _, p := range ps {
		s := t.stripe(t.stripeOf(p.h))
		sl, err := t.locate(s, p.h, bytesOf(p.key))
		if err != nil {
			return err
		}
		sl.publish(p.idx, t.classFor(p.size))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

func loadCount(s *stripe) uint64 { return atomic.LoadUint64(&s.Count) }
