package natscluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/shmkit/shmkit/manager"
)

// Dict is a manager.Dict on a JetStream key-value bucket: the same calls
// as the shared-memory dict, from any machine that reaches the servers.
// Keys are any bytes (escaped to NATS's key characters, see escapeKey);
// values are bytes, up to the server's max_payload.
//
// Consistency. Every write (Set, Delete, CompareAndSwap…) goes through the
// bucket stream's leader and is ordered there; each key has a revision
// (the stream sequence of its last write), and the conditional writes
// (SetDefault, CompareAndSwap, CompareAndDelete, Pop, Update, and Delete's
// report) are compare-and-set on it, retried on a conflict: each is
// atomic for its key. Reads (Get, Contains) use JetStream's direct get,
// which any replica may answer: with one replica a read sees every write
// acknowledged before it; with several, a read may see an older value
// than one already acknowledged (a follower that has not applied it yet),
// never a value that was not written, and one key's values in the order
// they were written. Len, Snapshot and the iterations read the keys one
// after another: each key's value at some moment of the call, not one
// moment for all (Snapshot is not atomic here, unlike the local dict).
// SetMany is atomic: one JetStream atomic batch, all or none, at most
// 1000 keys.
//
// Closing a Dict lets go of this handle; the bucket stays (delete it with
// jetstream's DeleteKeyValue). Its methods are safe for concurrent use.
type Dict struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	bucket string
	closed atomic.Bool
}

var _ manager.Dict = (*Dict)(nil)

// DictOptions configure a bucket when NewDict creates it.
type DictOptions struct {
	Storage Storage
}

// maxBatch is the most messages a JetStream atomic batch holds (the
// server's default limit).
const maxBatch = 1000

// NewDict opens the bucket called name, creating it when it does not
// exist (letters, digits, '-' and '_'; the bucket is a standard JetStream
// key-value bucket, which other NATS clients may read). ctx bounds the
// setup.
func NewDict(ctx context.Context, js jetstream.JetStream, name string, opts *DictOptions) (*Dict, error) {
	if err := checkName("dict", name); err != nil {
		return nil, err
	}
	var o DictOptions
	if opts != nil {
		o = *opts
	}
	var sc jetstream.StreamConfig
	if err := o.Storage.apply(&sc); err != nil {
		return nil, err
	}
	cfg := jetstream.KeyValueConfig{Bucket: name, Storage: sc.Storage, Replicas: sc.Replicas, History: 1}
	var kv jetstream.KeyValue
	err := retry(ctx, func(ctx context.Context) (err error) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, name)
		}
		return err
	})
	if err != nil {
		return nil, jsError("opening bucket "+name, err)
	}
	d := &Dict{js: js, kv: kv, bucket: name}
	if err := d.allowBatches(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// allowBatches turns on atomic batch publishing on the bucket's stream,
// for SetMany.
func (d *Dict) allowBatches(ctx context.Context) error {
	s, err := d.js.Stream(ctx, "KV_"+d.bucket)
	if err != nil {
		return jsError("opening bucket "+d.bucket, err)
	}
	cfg := s.CachedInfo().Config
	if cfg.AllowAtomicPublish {
		return nil
	}
	cfg.AllowAtomicPublish = true
	if _, err := d.js.UpdateStream(ctx, cfg); err != nil {
		return jsError("allowing atomic batches on bucket "+d.bucket, err)
	}
	return nil
}

// Bucket is the name of the bucket.
func (d *Dict) Bucket() string { return d.bucket }

func (d *Dict) key(k string) (string, error) {
	if d.closed.Load() {
		return "", os.ErrClosed
	}
	return escapeKey(k)
}

// valueErr maps what the server says of a value too large to
// manager.ErrTooLarge.
func valueErr(doing string, err error) error {
	var api *jetstream.APIError
	if errors.Is(err, nats.ErrMaxPayload) || errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum {
		return fmt.Errorf("%s: %w (%w)", doing, manager.ErrTooLarge, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// conflict reports whether a conditional write failed because the key's
// revision moved on.
func conflict(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyExists) || errors.As(err, &api) &&
		(api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// entry reads key k (escaped): nil when absent.
func (d *Dict) entry(ctx context.Context, k string) (jetstream.KeyValueEntry, error) {
	e, err := d.kv.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dict %s: get: %w", d.bucket, err)
	}
	return e, nil
}

// Get returns key's value.
func (d *Dict) Get(ctx context.Context, key string) ([]byte, bool, error) {
	k, err := d.key(key)
	if err != nil {
		return nil, false, err
	}
	e, err := d.entry(ctx, k)
	if e == nil || err != nil {
		return nil, false, err
	}
	return e.Value(), true, nil
}

// Set sets key to val.
func (d *Dict) Set(ctx context.Context, key string, val []byte) error {
	k, err := d.key(key)
	if err != nil {
		return err
	}
	if _, err := d.kv.Put(ctx, k, val); err != nil {
		return valueErr("dict "+d.bucket+": set", err)
	}
	return nil
}

// Contains reports whether key is present.
func (d *Dict) Contains(ctx context.Context, key string) (bool, error) {
	_, ok, err := d.Get(ctx, key)
	return ok, err
}

// Delete removes key and reports whether it was present.
func (d *Dict) Delete(ctx context.Context, key string) (bool, error) {
	_, ok, err := d.Pop(ctx, key)
	return ok, err
}

// Pop removes key and returns the value it had.
func (d *Dict) Pop(ctx context.Context, key string) ([]byte, bool, error) {
	var val []byte
	var ok bool
	err := d.update(ctx, key, func(old []byte, present bool) ([]byte, op) {
		val, ok = old, present
		return nil, opDelete
	})
	return val, ok, err
}

// PopItem removes and returns some key and its value (Python's popitem);
// ok false when the dict is empty. It takes the first key a listing
// yields and pops it, trying the next ones when another client popped it
// first.
func (d *Dict) PopItem(ctx context.Context) (key string, val []byte, ok bool, err error) {
	for {
		var keys []string
		err = d.walk(ctx, true, func(k string, _ []byte) bool { keys = append(keys, k); return len(keys) < 16 })
		if err != nil || len(keys) == 0 {
			return "", nil, false, err
		}
		for _, k := range keys {
			if val, ok, err = d.Pop(ctx, k); err != nil || ok {
				return k, val, ok, err
			}
		}
	}
}

// SetDefault sets key to val unless present, and returns key's value after
// the call and whether it was there already.
func (d *Dict) SetDefault(ctx context.Context, key string, val []byte) ([]byte, bool, error) {
	var actual []byte
	var loaded bool
	err := d.update(ctx, key, func(old []byte, present bool) ([]byte, op) {
		if present {
			actual, loaded = old, true
			return nil, opNone
		}
		actual, loaded = val, false
		return val, opPut
	})
	return actual, loaded, err
}

// CompareAndSwap sets key to new if it is present with value old.
func (d *Dict) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	swapped := false
	err := d.update(ctx, key, func(cur []byte, present bool) ([]byte, op) {
		if swapped = present && bytes.Equal(cur, old); swapped {
			return new, opPut
		}
		return nil, opNone
	})
	return swapped, err
}

// CompareAndDelete deletes key if it is present with value old.
func (d *Dict) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	deleted := false
	err := d.update(ctx, key, func(cur []byte, present bool) ([]byte, op) {
		if deleted = present && bytes.Equal(cur, old); deleted {
			return nil, opDelete
		}
		return nil, opNone
	})
	return deleted, err
}

// Update replaces key's value by what fn returns: fn gets the current
// value (ok false when absent) and returns the new value and keep; keep
// false deletes the key (or leaves it absent). It is a compare-and-swap
// loop on the key's revision: fn may run several times, and must not
// use the Dict.
func (d *Dict) Update(ctx context.Context, key string, fn func(old []byte, ok bool) (new []byte, keep bool)) error {
	return d.update(ctx, key, func(old []byte, ok bool) ([]byte, op) {
		val, keep := fn(old, ok)
		if keep {
			return val, opPut
		}
		return nil, opDelete
	})
}

// op is what a conditional write does.
type op int

const (
	opNone op = iota
	opPut
	opDelete
)

// update is the compare-and-swap loop behind every conditional write: read
// the key and its revision, decide, write only if the revision is still
// the one read, else read again.
func (d *Dict) update(ctx context.Context, key string, fn func(old []byte, ok bool) ([]byte, op)) error {
	k, err := d.key(key)
	if err != nil {
		return err
	}
	for {
		e, err := d.entry(ctx, k)
		if err != nil {
			return err
		}
		var old []byte
		if e != nil {
			old = e.Value()
		}
		val, what := fn(old, e != nil)
		switch {
		case what == opNone, what == opDelete && e == nil:
			return nil
		case e == nil:
			_, err = d.kv.Create(ctx, k, val)
		case what == opPut:
			_, err = d.kv.Update(ctx, k, val, e.Revision())
		default:
			err = d.kv.Delete(ctx, k, jetstream.LastRevision(e.Revision()))
		}
		if err == nil {
			return nil
		}
		if !conflict(err) {
			return valueErr("dict "+d.bucket+": update", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// Len returns the number of keys, counted one by one (see Dict).
func (d *Dict) Len(ctx context.Context) (int, error) {
	n := 0
	err := d.walk(ctx, true, func(string, []byte) bool { n++; return true })
	return n, err
}

// SetMany sets every key of items at once: one atomic batch, all or
// none; more than 1000 keys is manager.ErrTooLarge.
func (d *Dict) SetMany(ctx context.Context, items map[string][]byte) error {
	if d.closed.Load() {
		return os.ErrClosed
	}
	if len(items) > maxBatch {
		return fmt.Errorf("dict %s: SetMany of %d keys: a NATS atomic batch holds at most %d: %w", d.bucket, len(items), maxBatch, manager.ErrTooLarge)
	}
	msgs := make([]*nats.Msg, 0, len(items))
	for key, val := range items {
		k, err := escapeKey(key)
		if err != nil {
			return err
		}
		m := &nats.Msg{Subject: "$KV." + d.bucket + "." + k, Data: val}
		// Refuse before sending anything: a batch cut short is abandoned by
		// the server only after its timeout (10 s), holding a slot.
		if limit := d.js.Conn().MaxPayload() - 256; int64(len(m.Subject)+len(val)) > limit {
			return fmt.Errorf("dict %s: SetMany: key %q with a value of %d bytes, over the server's max_payload: %w", d.bucket, key, len(val), manager.ErrTooLarge)
		}
		msgs = append(msgs, m)
	}
	return d.batch(ctx, msgs)
}

// batch publishes msgs as one JetStream atomic batch: every message but
// the last goes out plain, the last commits and is answered with the
// batch's acknowledgement or the reason it was refused (a missing
// message, a size limit).
func (d *Dict) batch(ctx context.Context, msgs []*nats.Msg) error {
	if len(msgs) == 0 {
		return nil
	}
	nc, id := d.js.Conn(), nuid.Next()
	for i, m := range msgs {
		m.Header = nats.Header{"Nats-Batch-Id": {id}, "Nats-Batch-Sequence": {strconv.Itoa(i + 1)}}
		if i < len(msgs)-1 {
			if err := nc.PublishMsg(m); err != nil {
				return valueErr("dict "+d.bucket+": SetMany", err)
			}
		}
	}
	last := msgs[len(msgs)-1]
	last.Header.Set("Nats-Batch-Commit", "1")
	resp, err := nc.RequestMsgWithContext(ctx, last)
	if err != nil {
		return valueErr("dict "+d.bucket+": SetMany", err)
	}
	var ack struct {
		Error *jetstream.APIError `json:"error"`
		Count int                 `json:"count"`
	}
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return fmt.Errorf("dict %s: SetMany: reading the batch's acknowledgement: %w", d.bucket, err)
	}
	if ack.Error != nil {
		return valueErr("dict "+d.bucket+": SetMany", ack.Error)
	}
	if ack.Count != len(msgs) {
		return fmt.Errorf("dict %s: SetMany: the server stored a batch of %d of %d keys", d.bucket, ack.Count, len(msgs))
	}
	return nil
}

// Clear removes every key: the bucket's stream is purged at once.
func (d *Dict) Clear(ctx context.Context) error {
	if d.closed.Load() {
		return os.ErrClosed
	}
	s, err := d.js.Stream(ctx, "KV_"+d.bucket)
	if err == nil {
		err = s.Purge(ctx)
	}
	if err != nil {
		return fmt.Errorf("dict %s: clear: %w", d.bucket, err)
	}
	return nil
}

// Snapshot returns every key and value, read one by one: not atomic (see
// Dict).
func (d *Dict) Snapshot(ctx context.Context) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := d.walk(ctx, false, func(k string, v []byte) bool { out[k] = v; return true })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// walk calls fn with each key present (and its value, unless keysOnly)
// until fn returns false; keys that do not unescape are skipped.
func (d *Dict) walk(ctx context.Context, keysOnly bool, fn func(string, []byte) bool) error {
	if d.closed.Load() {
		return os.ErrClosed
	}
	opts := []jetstream.WatchOpt{jetstream.IgnoreDeletes()}
	if keysOnly {
		opts = append(opts, jetstream.MetaOnly())
	}
	w, err := d.kv.WatchAll(ctx, opts...)
	if err != nil {
		return fmt.Errorf("dict %s: listing: %w", d.bucket, err)
	}
	defer w.Stop()
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("dict %s: listing: the watcher stopped", d.bucket)
			}
			if e == nil {
				return nil // every key present at the start has come
			}
			k, err := unescapeKey(e.Key())
			if err != nil {
				continue
			}
			if !fn(k, e.Value()) {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Keys yields the keys (see Dict); it stops early, silently, on an error.
func (d *Dict) Keys(ctx context.Context) iter.Seq[string] {
	return func(yield func(string) bool) {
		d.walk(ctx, true, func(k string, _ []byte) bool { return yield(k) })
	}
}

// Values yields the values.
func (d *Dict) Values(ctx context.Context) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		d.walk(ctx, false, func(_ string, v []byte) bool { return yield(v) })
	}
}

// Items yields the keys and values.
func (d *Dict) Items(ctx context.Context) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		d.walk(ctx, false, yield)
	}
}

// Close lets go of this handle: later calls return os.ErrClosed. The
// bucket and the connection stay. It is idempotent.
func (d *Dict) Close() error {
	d.closed.Store(true)
	return nil
}
