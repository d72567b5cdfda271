package natscluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/process"
)

// Serve runs the pool's chunks in this process until ctx ends, then
// returns nil: call it from every machine's copy of the binary (in main
// after process.Main, or as a registered task), with the Options the
// executors use. It pulls up to Options.Concurrency chunks at a time, one
// per goroutine, each only when that goroutine is free, and runs each
// chunk's inputs in order through the tasks process.Register registered,
// as a local pool's worker does.
//
// While a chunk runs, Serve acknowledges progress every AckWait/4, sends
// the results every few milliseconds (or when the chunk ends), and
// acknowledges the chunk after its last result is stored. When ctx ends,
// the running tasks' ctx ends with it and their chunks go back to the
// stream for another worker (the results already sent stand). A chunk
// whose job ended (cancelled, or past its deadline) is dropped: its
// executor answered it.
//
// Serve returns an error when it cannot start (the server, the streams),
// or when the connection closes for good.
func Serve(ctx context.Context, js jetstream.JetStream, opts Options) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	n := poolNames(o.Name)
	_, cons, err := ensurePool(ctx, js, o, n)
	if err != nil {
		return err
	}
	w := &worker{js: js, nc: js.Conn(), o: o, n: n, name: workerName(), cons: cons, running: map[chunkKey]runningChunk{}, cancelled: wire.NewRecent[chunkKey](4096)}
	sub, err := w.nc.Subscribe(n.cancelSubj, w.onCancel)
	if err != nil {
		return fmt.Errorf("subscribing to %s: %w", n.cancelSubj, err)
	}
	defer sub.Unsubscribe()
	var wg sync.WaitGroup
	errs := make(chan error, o.Concurrency)
	for range o.Concurrency {
		wg.Go(func() {
			if err := w.loop(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	w.settling.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// workerName is how a worker names itself in its answers: "host:pid".
func workerName() string {
	host, _ := os.Hostname()
	name := host + ":" + strconv.Itoa(os.Getpid())
	if len(name) > 255 {
		name = name[len(name)-255:]
	}
	return name
}

// pullWait bounds one pull request: how long an idle worker waits before
// asking again (a request the server lost in a restart costs this much).
const pullWait = time.Second

// flushEvery: results wait at most this long in a worker before they are
// sent, unless the chunk ends first.
const flushEvery = 5 * time.Millisecond

type chunkKey struct {
	client string
	id     uint64
}

type worker struct {
	js   jetstream.JetStream
	nc   *nats.Conn
	o    Options
	n    names
	name string // "host:pid", in its results

	settling sync.WaitGroup // chunks waiting for their results' confirmation

	mu        sync.Mutex
	cons      jetstream.Consumer // made again after a server lost it
	running   map[chunkKey]runningChunk
	cancelled *wire.Recent[chunkKey] // chunks whose job ended, recent ones
}

type runningChunk struct {
	cancel   context.CancelCauseFunc
	deadline int64 // the job's, Unix nanoseconds; 0: none
}

func (w *worker) consumer() jetstream.Consumer {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cons
}

// loop pulls and runs chunks, one at a time, until ctx ends. When ctx
// ends while it waits, it returns at once and a chunk its pull request
// still receives goes back to the stream (giveBack).
func (w *worker) loop(ctx context.Context) error {
	backoff := 10 * time.Millisecond
	for ctx.Err() == nil {
		batch, err := w.consumer().Fetch(1, jetstream.FetchMaxWait(pullWait))
		if err == nil {
			select {
			case msg, ok := <-batch.Messages():
				if ok {
					backoff = 10 * time.Millisecond
					w.handle(ctx, msg)
					continue
				}
				err = batch.Error()
			case <-ctx.Done():
				giveBack(batch)
				return nil
			}
		}
		switch {
		case err == nil, errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoMessages):
		case errors.Is(err, nats.ErrConnectionClosed):
			return fmt.Errorf("serving pool %s: %w", w.o.Name, err)
		default:
			// A server restarting, a leader election, a stream deleted
			// (memory storage after a restart): make the stream again and
			// retry, slower and slower.
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
				if _, c, err := ensurePool(ctx, w.js, w.o, w.n); err == nil {
					w.mu.Lock()
					w.cons = c
					w.mu.Unlock()
				}
			}
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(2*backoff, time.Second)
		}
	}
	return nil
}

// handle runs one chunk message and answers it.
func (w *worker) handle(ctx context.Context, msg jetstream.Msg) {
	h, args, err := parseChunk(msg.Data())
	if err != nil {
		msg.Term() // not an executor's: there is nobody to answer
		return
	}
	out := w.newResults(h)
	if meta, err := msg.Metadata(); err == nil && int(meta.NumDelivered) > w.o.MaxDeliver {
		text := fmt.Sprintf("task %s, %d deliveries (MaxDeliver %d)", h.task, meta.NumDelivered-1, w.o.MaxDeliver)
		for i := range args {
			out.add(i, statusExhausted, []byte(text))
		}
		if out.flush() {
			w.settle(msg, out)
		}
		return
	}
	key := chunkKey{h.client, h.id}
	cctx, end, live := w.chunkContext(ctx, key, h)
	defer end()
	if !live {
		msg.Ack() // its job ended: the executor answered it
		return
	}
	stopProgress := w.progress(msg)
	defer stopProgress()
	run, known := wire.Lookup(h.task)
	for i, arg := range args {
		if cctx.Err() != nil {
			break
		}
		var res []byte
		status, fail := byte(statusErr), &wire.Failure{Err: fmt.Errorf("task %q: %w", h.task, process.ErrUnknownTask)}
		if known {
			res, status, fail = w.runOne(cctx, run, arg, h.timeout)
		}
		if ctx.Err() != nil {
			break // Serve is stopping: this input's answer is its ctx's end, not the task's
		}
		if fail != nil {
			res = wire.AppendFailure(nil, *fail)
		}
		out.add(i, status, res)
		if (i == len(args)-1 || time.Since(out.since) >= flushEvery) && !out.flush() {
			msg.Nak()
			return
		}
	}
	switch {
	case ctx.Err() != nil:
		// Serve is stopping: what ran is sent, the rest runs elsewhere.
		if out.flush() {
			msg.Nak()
		}
	case cctx.Err() != nil:
		msg.Ack() // the job ended: its executor answered the rest
	default:
		w.settle(msg, out)
	}
}

// settle acknowledges a chunk once every results message of it is stored,
// on a goroutine of its own, so that the worker pulls its next chunk
// meanwhile: the results went out asynchronously (see results.flush).
// A results message the server did not confirm is sent again, waiting,
// and the chunk goes back to the stream (a negative acknowledgement) when
// even that fails: it then runs again, and the executor keeps the first
// answer of each input.
func (w *worker) settle(msg jetstream.Msg, r *results) {
	w.settling.Go(func() {
		for _, f := range r.sent {
			if !r.confirmed(f) {
				msg.Nak()
				return
			}
		}
		msg.Ack()
	})
}

// chunkContext is the ctx of a chunk's inputs: Serve's, ended at the
// job's deadline and by a cancel record for the chunk. live is false when
// the chunk's job ended already.
func (w *worker) chunkContext(ctx context.Context, key chunkKey, h chunkHead) (cctx context.Context, end func(), live bool) {
	cctx, cancel := context.WithCancelCause(ctx)
	stopDeadline := func() {}
	if h.deadline != 0 {
		cctx, stopDeadline = context.WithDeadline(cctx, time.Unix(0, h.deadline))
	}
	w.mu.Lock()
	w.running[key] = runningChunk{cancel, h.deadline}
	live = !w.cancelled.Has(key)
	w.mu.Unlock()
	return cctx, func() {
		w.mu.Lock()
		delete(w.running, key)
		w.mu.Unlock()
		stopDeadline()
		cancel(nil)
	}, live && cctx.Err() == nil
}

// progress tells the server every AckWait/4 that the chunk is being
// worked on, so that it is not handed to another worker while it runs.
func (w *worker) progress(msg jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(w.o.AckWait / 4)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				msg.InProgress()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done) }
}

// runOne runs one input under its timeout, if any, on its own goroutine:
// a task that does not return within the grace period after its ctx
// ended is answered for (statusStuck), and left running.
func (w *worker) runOne(cctx context.Context, run wire.Runner, arg []byte, timeout time.Duration) ([]byte, byte, *wire.Failure) {
	ictx := cctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ictx, cancel = context.WithTimeout(cctx, timeout)
		defer cancel()
	}
	type outcome struct {
		res  []byte
		fail *wire.Failure
	}
	done := make(chan outcome, 1)
	go func() {
		res, fail := wire.Call(ictx, run, arg)
		done <- outcome{res, fail}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ictx.Done():
		t := time.NewTimer(w.o.Grace)
		defer t.Stop()
		select {
		case o = <-done:
		case <-t.C:
			err := fmt.Errorf("%w: the task did not return within the %v grace period after its context ended; its goroutine was left running in its worker", context.Cause(ictx), w.o.Grace)
			return nil, statusStuck, &wire.Failure{Err: err}
		}
	}
	switch {
	case o.fail == nil:
		return o.res, statusOK, nil
	case o.fail.Panic:
		return nil, statusPanic, o.fail
	}
	return nil, statusErr, o.fail
}

// onCancel applies an executor's cancel record: the chunks it names stop
// (their inputs' ctx ends) or, not started yet, are dropped when pulled.
func (w *worker) onCancel(m *nats.Msg) {
	client, ids, err := parseCancel(m.Data)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		k := chunkKey{client, id}
		w.cancelled.Add(k)
		if r, ok := w.running[k]; ok {
			// A job whose deadline passed ends its tasks' ctx with
			// DeadlineExceeded, whichever comes first here: the record or
			// the chunk's own timer.
			cause := context.Canceled
			if r.deadline != 0 && time.Now().UnixNano() >= r.deadline {
				cause = context.DeadlineExceeded
			}
			r.cancel(cause)
		}
	}
}

// results gathers a chunk's answers into results messages.
type results struct {
	w     *worker
	subj  string
	id    uint64
	buf   []byte
	n     int       // answers in buf
	since time.Time // when buf was last sent
	limit int       // largest message
	sent  []jetstream.PubAckFuture
}

func (w *worker) newResults(h chunkHead) *results {
	r := &results{w: w, subj: w.n.resultPrefix + h.client, id: h.id, since: time.Now(), limit: int(w.nc.MaxPayload()) - 512}
	r.buf = appendResultsHead(r.buf, h.id, w.name)
	return r
}

// add appends an answer, sending what is buffered first when it would not
// fit; a result that alone exceeds the server's max_payload is answered
// with an error saying so.
func (r *results) add(i int, status byte, payload []byte) {
	if resultsHead+resultFixed+len(payload) > r.limit {
		err := fmt.Errorf("result of %d bytes is over the server's max_payload of %d bytes: %w", len(payload), r.w.nc.MaxPayload(), nats.ErrMaxPayload)
		status, payload = statusErr, wire.AppendFailure(nil, wire.Failure{Err: err})
	}
	if len(r.buf)+resultFixed+len(payload) > r.limit {
		r.flush()
	}
	r.buf = appendResult(r.buf, i, status, payload)
	r.n++
}

// flush sends the buffered answers to the results stream without waiting
// for the server's confirmation (settle waits for it before the chunk is
// acknowledged); false when they could not even be sent (then the chunk
// goes back to the stream).
func (r *results) flush() bool {
	r.since = time.Now()
	if r.n == 0 {
		return true
	}
	m := &nats.Msg{Subject: r.subj, Data: r.buf}
	r.buf, r.n = appendResultsHead(nil, r.id, r.w.name), 0 // m keeps its buffer
	f, err := r.w.js.PublishMsgAsync(m)
	if err != nil {
		return r.publish(m) == nil
	}
	r.sent = append(r.sent, f)
	return true
}

// confirmed waits for the server's confirmation of a results message; one
// that fails, or does not come within 5 s (a server that went down as it
// was sent), is published again, waiting.
func (r *results) confirmed(f jetstream.PubAckFuture) bool {
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-f.Ok():
		return true
	case <-f.Err():
	case <-t.C:
	}
	return r.publish(f.Msg()) == nil
}

// publish stores m, retrying for up to AckWait or 10 s, the longer (past
// that the chunk is someone else's anyway).
func (r *results) publish(m *nats.Msg) error {
	ctx, cancel := context.WithTimeout(context.Background(), max(r.w.o.AckWait, 10*time.Second))
	defer cancel()
	_, err := publishRetry(ctx, r.w.js, m)
	return err
}
