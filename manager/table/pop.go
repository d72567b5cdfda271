package table

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
)

// popAny removes and returns an entry, Dict.PopItem and Set.Pop: stripe by
// stripe from a starting point that moves on with each call (per handle),
// skipping the stripes whose count says they are empty without locking
// them. An entry is taken under its stripe's lock, so two processes never
// pop the same one. ok is false when every stripe was empty as it was
// visited: a table that others fill meanwhile may not look empty again.
func (t *table) popAny(ctx context.Context) (key string, val []byte, ok bool, err error) {
	start := t.popNext.Add(1)
	for i := range t.l.stripes {
		si := (start + i) & (t.l.stripes - 1)
		if loadCount(t.stripe(si)) == 0 {
			continue
		}
		if key, val, ok, err = t.popFrom(ctx, si); ok || err != nil {
			return key, val, ok, err
		}
	}
	return "", nil, false, ctx.Err()
}

// popFrom removes the first entry of stripe si's chains, if any.
func (t *table) popFrom(ctx context.Context, si uint64) (string, []byte, bool, error) {
	s, err := t.lockStripe(ctx, si)
	if err != nil {
		return "", nil, false, err
	}
	defer s.Lock.unlock(t.me)
	for b := si; b < t.l.buckets; b += t.l.stripes {
		idx := atomic.LoadUint32(t.bucket(b))
		if idx == 0 {
			continue
		}
		bl, err := t.readBlock(idx)
		if err != nil {
			return "", nil, false, err
		}
		if bl.hash&(t.l.buckets-1) != b {
			return "", nil, false, fmt.Errorf("entry block %d in bucket %d hashes elsewhere: %w", idx, b, ErrCorrupt)
		}
		key := bytes.Clone(t.key(bl))
		sl, err := t.locate(s, bl.hash, key)
		if err != nil {
			return "", nil, false, err
		}
		if !sl.found {
			return "", nil, false, fmt.Errorf("entry block %d not found by its key: %w", idx, ErrCorrupt)
		}
		v := bytes.Clone(sl.value())
		sl.del()
		return string(key), v, true, nil
	}
	return "", nil, false, nil
}
