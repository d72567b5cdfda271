package natscluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// Executor runs the chunks of pool.Map, Imap, ImapUnordered, Apply and
// ApplyAsync on the workers of a NATS JetStream cluster: it is a
// pool.Executor, so code written against the local pool runs here by
// changing the constructor. Workers are processes of the same binary
// running Serve, on any machine that reaches the servers.
//
// Each chunk is one message on the pool's work-queue stream; a free
// worker pulls it (never pushed round-robin: a busy worker takes nothing),
// acknowledges progress while it runs, and sends the results to this
// executor's subject on the results stream before it acknowledges the
// chunk. A chunk whose worker dies is handed to another after AckWait, up
// to MaxDeliver times, after which its unanswered inputs fail with
// ErrDeliveriesExhausted. Delivery is at least once: an input may run
// twice (a worker dies after running it; a slow worker loses its chunk),
// so tasks must be idempotent; the executor keeps the first result of
// each input, so each input yields exactly one result.
//
// Its methods are safe for concurrent use.
type Executor struct {
	js         jetstream.JetStream
	nc         *nats.Conn
	opts       Options
	n          names
	tasks      jetstream.Stream
	client     string // this executor's id: its results subject's last token
	resultSubj string
	slots      chan struct{} // one per submission in flight (QueueSize)
	consume    jetstream.ConsumeContext
	status     chan nats.Status // the connection's CLOSED
	stopped    chan struct{}    // closed at shutdown

	mu     sync.Mutex
	parts  map[uint64]*part
	nextID uint64
	closed bool
	fatal  error // why no more work is taken (Terminate, a closed connection)

	work     sync.WaitGroup // submissions not finished
	shutdown sync.Once
}

// submission is the work of one Submit: one chunk, sent as one message,
// or as several parts when it is larger than the server's max_payload.
type submission struct {
	task  string
	sink  pool.Sink
	ids   []uint64
	left  int         // parts not finished (e.mu)
	stop  func() bool // the watch on the sink's ctx
	ended bool        // finished or failed: its slot is released (e.mu)
}

// part is one chunk message and its inputs' answers.
type part struct {
	sub  *submission
	id   uint64
	seq  uint64 // the message's stream sequence, once published (e.mu)
	base int    // the job's index of the part's first input
	args [][]byte
	done []bool // answered (e.mu)
	left int
}

var _ pool.Executor = (*Executor)(nil)

// NewExecutor creates (or joins) the pool's streams on the servers js
// reaches and starts collecting this executor's results. ctx bounds the
// setup. Join or Terminate it.
func NewExecutor(ctx context.Context, js jetstream.JetStream, opts Options) (*Executor, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	n := poolNames(o.Name)
	tasks, _, err := ensurePool(ctx, js, o, n)
	if err != nil {
		return nil, err
	}
	e := &Executor{
		js: js, nc: js.Conn(), opts: o, n: n, tasks: tasks,
		client: nuid.Next(), slots: make(chan struct{}, o.QueueSize),
		stopped: make(chan struct{}), parts: map[uint64]*part{},
	}
	e.resultSubj = n.resultPrefix + e.client
	// An ordered consumer of this executor's results: it re-creates
	// itself after a lost connection or a server restart, from the last
	// message it delivered, so no result is missed while the stream
	// keeps it.
	cons, err := js.OrderedConsumer(ctx, n.results, jetstream.OrderedConsumerConfig{FilterSubjects: []string{e.resultSubj}})
	if err != nil {
		return nil, jsError("creating the results consumer", err)
	}
	// Heartbeats every second: a consumer the server lost (a restart) is
	// noticed, and re-created, within two.
	if e.consume, err = cons.Consume(e.onResults, jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second),
		jetstream.ConsumeErrHandler(func(jetstream.ConsumeContext, error) {})); err != nil {
		return nil, jsError("consuming results", err)
	}
	e.status = e.nc.StatusChanged(nats.CLOSED)
	go e.watchConn()
	return e, nil
}

// Workers returns Options.Workers: how many inputs Map takes to run at once.
func (e *Executor) Workers() int { return e.opts.Workers }

// Submit sends c to the workers, waiting while QueueSize chunks are in
// flight, as ctx allows (see pool.Executor). It refuses, before sending
// anything, an input that carries a shared-memory handle
// (ErrSharedMemory) or that alone exceeds the server's max_payload
// (nats.ErrMaxPayload). A chunk larger than max_payload goes as several
// messages. Publishing is retried (a server restarting, a leader
// election) until ctx ends; the server drops duplicates.
func (e *Executor) Submit(ctx context.Context, c pool.Chunk) error {
	if c.Timeout < 0 {
		return fmt.Errorf("timeout %v: %w", c.Timeout, os.ErrInvalid)
	}
	if err := e.refusal(); err != nil {
		return err
	}
	if _, ok := wire.Lookup(c.Task); !ok {
		// The workers are this binary: what is not registered here is not
		// there either.
		return fmt.Errorf("task %q: %w", c.Task, process.ErrUnknownTask)
	}
	for i, a := range c.Args {
		if carriesHandle(a) {
			return fmt.Errorf("input %d of %s: %w", c.Base+i, c.Task, ErrSharedMemory)
		}
	}
	head := chunkHead{timeout: c.Timeout, client: e.client, task: c.Task}
	if d, ok := c.Results.Context().Deadline(); ok {
		head.deadline = d.UnixNano()
	}
	cuts, err := e.split(head, c)
	if err != nil {
		return err
	}
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-e.stopped:
		return e.refusal()
	}
	s, parts, err := e.register(c, cuts)
	if err != nil {
		<-e.slots
		return err
	}
	jctx := c.Results.Context()
	s.stop = context.AfterFunc(jctx, func() { e.fail(s, context.Cause(jctx), true) })
	for i, p := range parts {
		head.id = p.id
		seq, err := e.publish(ctx, p.id, appendChunk(nil, head, p.args))
		if err == nil {
			e.mu.Lock()
			p.seq = seq
			e.mu.Unlock()
			continue
		}
		if i == 0 && e.unregister(s) {
			return err // nothing sent, nothing delivered: owe nothing
		}
		e.failParts(s, parts[i:], err)
		break
	}
	return nil
}

// refusal is why Submit takes no work, or nil.
func (e *Executor) refusal() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.fatal != nil:
		return e.fatal
	case e.closed:
		return pool.ErrClosed
	}
	return nil
}

// split cuts c's inputs into runs that each fit one message.
func (e *Executor) split(head chunkHead, c pool.Chunk) ([][2]int, error) {
	// Room for the headers (Nats-Msg-Id, Nats-Expected-Stream) and the
	// protocol line.
	limit := int(e.nc.MaxPayload()) - 512
	var cuts [][2]int
	start, size := 0, chunkSize(head, nil)
	for i, a := range c.Args {
		one := chunkSize(head, c.Args[i:i+1])
		if one > limit {
			return nil, fmt.Errorf("input %d of %s: %d bytes encoded, over the server's max_payload of %d bytes: %w",
				c.Base+i, c.Task, len(a), e.nc.MaxPayload(), nats.ErrMaxPayload)
		}
		if size+4+len(a) > limit {
			cuts = append(cuts, [2]int{start, i})
			start, size = i, chunkSize(head, nil)
		}
		size += 4 + len(a)
	}
	return append(cuts, [2]int{start, len(c.Args)}), nil
}

// register records a submission and its parts before anything is sent: a
// result may come back before the publish returns.
func (e *Executor) register(c pool.Chunk, cuts [][2]int) (*submission, []*part, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fatal != nil {
		return nil, nil, e.fatal
	}
	s := &submission{task: c.Task, sink: c.Results, left: len(cuts)}
	parts := make([]*part, len(cuts))
	for i, cut := range cuts {
		e.nextID++
		p := &part{sub: s, id: e.nextID, base: c.Base + cut[0], args: c.Args[cut[0]:cut[1]]}
		p.done, p.left = make([]bool, len(p.args)), len(p.args)
		e.parts[p.id] = p
		s.ids = append(s.ids, p.id)
		parts[i] = p
	}
	e.work.Add(1)
	return s, parts, nil
}

// unregister takes back a submission none of whose inputs was answered;
// false when something answered some already (the job's ctx ended).
func (e *Executor) unregister(s *submission) bool {
	e.mu.Lock()
	if s.ended {
		e.mu.Unlock()
		return false
	}
	for _, id := range s.ids {
		if p := e.parts[id]; p != nil && p.left != len(p.args) {
			e.mu.Unlock()
			return false
		}
	}
	for _, id := range s.ids {
		delete(e.parts, id)
	}
	s.ended = true
	e.mu.Unlock()
	s.stop()
	<-e.slots
	e.work.Done()
	return true
}

// publish stores one chunk message, retrying what may pass (a timeout, no
// responder while a stream leader is elected, a reconnection) until ctx
// ends. The message id makes a retry of a stored message a duplicate the
// server drops.
func (e *Executor) publish(ctx context.Context, id uint64, data []byte) (uint64, error) {
	m := &nats.Msg{Subject: e.n.taskSubj, Data: data}
	ack, err := publishRetry(ctx, e.js, m, jetstream.WithMsgID(e.client+"-"+strconv.FormatUint(id, 10)), jetstream.WithExpectStream(e.n.tasks))
	if err != nil {
		return 0, fmt.Errorf("publishing a chunk: %w", err)
	}
	return ack.Sequence, nil
}

// publishRetry publishes m until it is stored, the error is one that will
// not pass, or ctx ends. Each try waits for its acknowledgement 1 s, then
// twice as long each time up to 8 s: a publish sent as its server went
// down is never answered.
func publishRetry(ctx context.Context, js jetstream.JetStream, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	var last error
	wait, bound := 10*time.Millisecond, time.Second
	for {
		actx, cancel := context.WithTimeout(ctx, bound)
		ack, err := js.PublishMsg(actx, m, opts...)
		cancel()
		switch {
		case err == nil:
			return ack, nil
		case ctx.Err() != nil:
			return nil, fmt.Errorf("%w (last error: %v)", ctx.Err(), cmp.Or(last, err))
		case actx.Err() == nil && !retryable(err):
			return nil, jsError("publishing", err)
		}
		last = err
		if !sleep(ctx, wait) {
			return nil, fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
		}
		wait, bound = min(2*wait, time.Second), min(2*bound, 8*time.Second)
	}
}

// retryable reports whether a failed publish may succeed later.
func retryable(err error) bool {
	var api *jetstream.APIError
	switch {
	case errors.Is(err, nats.ErrMaxPayload), errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &api):
		return api.ErrorCode != jetstream.JSErrCodeStreamMessageExceedsMaximum && api.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// answer is one Deliver to make.
type answer struct {
	i   int
	res []byte
	err error
}

// onResults delivers a results message: the first answer of each input,
// in order; later copies (a chunk that ran again) are dropped, as are
// results of parts already finished or failed.
func (e *Executor) onResults(m jetstream.Msg) {
	id, worker, rs, err := parseResults(m.Data())
	if err != nil {
		return // not a worker's: nothing to answer
	}
	e.mu.Lock()
	p := e.parts[id]
	if p == nil {
		e.mu.Unlock()
		return
	}
	out := make([]answer, 0, len(rs))
	for _, r := range rs {
		if r.index < 0 || r.index >= len(p.done) || p.done[r.index] {
			continue
		}
		p.done[r.index] = true
		p.left--
		out = append(out, answer{i: p.base + r.index, res: r.payload, err: resultError(p.sub.task, worker, r)})
	}
	finished := p.left == 0 && e.partDoneLocked(p)
	e.mu.Unlock()
	for _, a := range out {
		if a.err == nil {
			a.res = append([]byte(nil), a.res...)
		} else {
			a.res = nil
		}
		p.sub.sink.Deliver(a.i, a.res, a.err)
	}
	if finished {
		e.finish(p.sub)
	}
}

// partDoneLocked forgets a finished part; true when it was its
// submission's last. The caller holds e.mu.
func (e *Executor) partDoneLocked(p *part) bool {
	delete(e.parts, p.id)
	p.sub.left--
	if p.sub.left == 0 && !p.sub.ended {
		p.sub.ended = true
		return true
	}
	return false
}

// resultError is the error of a result that is not a success: a
// *pool.TaskError as the local pool's, whose Err is the task's error
// rebuilt here (errors.Is and errors.As see through it), or
// ErrDeliveriesExhausted.
func resultError(task, worker string, r result) error {
	switch r.status {
	case statusOK:
		return nil
	case statusExhausted:
		return fmt.Errorf("%s: %w", r.payload, ErrDeliveriesExhausted)
	}
	f, err := wire.ParseFailure(r.payload)
	if err != nil {
		f = wire.Failure{Err: fmt.Errorf("an answer of worker %s that does not decode: %w", worker, err)}
	}
	return &pool.TaskError{Task: task, Worker: worker, Message: f.Err.Error(), Err: f.Err, Panic: f.Panic, Frame: f.Frame, Stack: f.Stack}
}

// finish releases a submission all of whose inputs were answered.
func (e *Executor) finish(s *submission) {
	if s.stop != nil {
		s.stop()
	}
	<-e.slots
	e.work.Done()
}

// fail answers every input of s not answered yet with err and finishes
// it; tell: also tell the workers to stop its chunks and take its
// messages off the stream (best effort: the inputs are answered already).
func (e *Executor) fail(s *submission, err error, tell bool) {
	e.mu.Lock()
	if s.ended {
		e.mu.Unlock()
		return
	}
	var out []answer
	var ids, seqs []uint64
	for _, id := range s.ids {
		p := e.parts[id]
		if p == nil {
			continue
		}
		for i, d := range p.done {
			if !d {
				p.done[i] = true
				out = append(out, answer{i: p.base + i, err: err})
			}
		}
		p.left = 0
		delete(e.parts, id)
		ids, seqs = append(ids, id), append(seqs, p.seq)
	}
	s.left, s.ended = 0, true
	e.mu.Unlock()
	for _, a := range out {
		s.sink.Deliver(a.i, nil, a.err)
	}
	if tell && len(ids) > 0 {
		e.withdraw(ids, seqs)
	}
	e.finish(s)
}

// failParts answers the inputs of parts that could not be sent.
func (e *Executor) failParts(s *submission, parts []*part, err error) {
	e.mu.Lock()
	var out []answer
	finished := false
	for _, p := range parts {
		if e.parts[p.id] != p {
			continue
		}
		for i, d := range p.done {
			if !d {
				p.done[i] = true
				out = append(out, answer{i: p.base + i, err: err})
			}
		}
		p.left = 0
		finished = e.partDoneLocked(p) || finished
	}
	e.mu.Unlock()
	for _, a := range out {
		s.sink.Deliver(a.i, nil, a.err)
	}
	if finished {
		e.finish(s)
	}
}

// withdraw tells the workers that chunks ids were answered already (one
// running stops: its task's ctx ends) and deletes their messages, seqs,
// from the stream so that no worker takes them later. Best effort, in the
// background: the connection may be gone.
func (e *Executor) withdraw(ids, seqs []uint64) {
	e.nc.Publish(e.n.cancelSubj, appendCancel(nil, e.client, ids))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, seq := range seqs {
			if seq != 0 {
				e.tasks.DeleteMsg(ctx, seq)
			}
		}
	}()
}

// failAll fails every submission in flight with err, which also refuses
// new work from now on.
func (e *Executor) failAll(err error) {
	e.mu.Lock()
	if e.fatal == nil {
		e.fatal = err
	}
	subs := map[*submission]bool{}
	for _, p := range e.parts {
		subs[p.sub] = true
	}
	e.mu.Unlock()
	for s := range subs {
		e.fail(s, err, true)
	}
}

// watchConn fails everything in flight once the connection is closed for
// good (nats.Conn gave up reconnecting, or its owner closed it): no result
// can come back.
func (e *Executor) watchConn() {
	select {
	case _, ok := <-e.status:
		if ok {
			e.failAll(fmt.Errorf("connection to the NATS server closed: %w", nats.ErrConnectionClosed))
		}
	case <-e.stopped:
	}
}

// Close stops the executor from taking new work (pool.ErrClosed); work
// submitted still runs.
func (e *Executor) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
}

// Join closes the executor, waits for every submitted input's answer,
// then stops collecting results and purges this executor's results from
// the stream. When ctx ends first it terminates the executor and returns
// ctx's error. The workers and the streams are left as they are: they
// serve other executors.
func (e *Executor) Join(ctx context.Context) error {
	e.Close()
	done := make(chan struct{})
	go func() { e.work.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		e.Terminate()
		return ctx.Err()
	}
	e.shutdownOnce()
	return nil
}

// Terminate fails every input not answered yet with pool.ErrTerminated,
// tells the workers to stop running them (their ctx ends), takes their
// chunks off the stream, and shuts the executor down.
func (e *Executor) Terminate() {
	e.Close()
	e.failAll(pool.ErrTerminated)
	e.shutdownOnce()
}

func (e *Executor) shutdownOnce() {
	e.shutdown.Do(func() {
		close(e.stopped)
		e.consume.Stop()
		e.nc.RemoveStatusListener(e.status)
		if e.nc.IsClosed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if s, err := e.js.Stream(ctx, e.n.results); err == nil {
			s.Purge(ctx, jetstream.WithPurgeSubject(e.resultSubj))
		}
	})
}
