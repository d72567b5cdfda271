package natscluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Connect dials the NATS servers at url (a comma-separated list for a
// cluster) with opts and checks that JetStream answers, so that a wrong
// address, wrong credentials or a server without JetStream fail here with
// an error that says which. It waits, as ctx allows, for a cluster that
// is still electing its JetStream leader. Close the connection when done.
func Connect(ctx context.Context, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to NATS at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err == nil {
		err = retry(ctx, func(ctx context.Context) error {
			_, err := js.AccountInfo(ctx)
			return err
		})
	}
	if err != nil {
		nc.Close()
		return nil, nil, jsError("NATS at "+url, err)
	}
	return nc, js, nil
}

// jsError adds what was being done to err, and a hint where the server
// said JetStream is off.
func jsError(doing string, err error) error {
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return fmt.Errorf("%s: JetStream is not enabled on the server (start nats-server with -js): %w", doing, err)
	}
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("%s: no JetStream responded (is JetStream enabled, and the server reachable?): %w", doing, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// transient reports whether a JetStream API call may succeed if tried
// again: a cluster electing its leaders (just started, or a server lost),
// a request that timed out.
func transient(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case 10006, 10008, 10009: // cluster not active, not available, not leader
			return true
		}
		return api.Code == 503
	}
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse)
}

// retry runs fn until it succeeds, fails for good, or ctx ends. Each try
// has a ctx of its own, bounded to 1 s and then twice as long each time up
// to 8 s: a server with no JetStream leader yet (a cluster starting, a
// leader lost) may leave a request unanswered instead of refusing it, and
// a slow link must still get its answer in the end.
func retry(ctx context.Context, fn func(ctx context.Context) error) error {
	wait, bound := 20*time.Millisecond, time.Second
	for {
		actx, cancel := context.WithTimeout(ctx, bound)
		err := fn(actx)
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil || !(timedOut || transient(err)) || !sleep(ctx, wait) {
			return err
		}
		wait, bound = min(2*wait, time.Second), min(2*bound, 8*time.Second)
	}
}

// ensurePool creates the pool's two streams and its workers' consumer, or
// updates them to o (every machine runs the same binary, so the same o),
// waiting as ctx allows for a cluster that is electing its leaders.
func ensurePool(ctx context.Context, js jetstream.JetStream, o Options, n names) (s jetstream.Stream, cons jetstream.Consumer, err error) {
	err = retry(ctx, func(ctx context.Context) error {
		s, cons, err = ensurePoolOnce(ctx, js, o, n)
		return err
	})
	return s, cons, err
}

func ensurePoolOnce(ctx context.Context, js jetstream.JetStream, o Options, n names) (jetstream.Stream, jetstream.Consumer, error) {
	tasks := jetstream.StreamConfig{
		Name:        n.tasks,
		Description: "shmkit pool " + o.Name + ": one message per chunk of inputs",
		Subjects:    []string{n.taskSubj},
		Retention:   jetstream.WorkQueuePolicy,
		Duplicates:  2 * time.Minute,
	}
	results := jetstream.StreamConfig{
		Name:        n.results,
		Description: "shmkit pool " + o.Name + ": results, a subject per executor",
		Subjects:    []string{n.resultPrefix + "*"},
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      o.ResultsMaxAge,
	}
	for _, c := range []*jetstream.StreamConfig{&tasks, &results} {
		if err := o.Storage.apply(c); err != nil {
			return nil, nil, err
		}
	}
	s, err := js.CreateOrUpdateStream(ctx, tasks)
	if err != nil {
		return nil, nil, jsError("creating stream "+n.tasks, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, results); err != nil {
		return nil, nil, jsError("creating stream "+n.results, err)
	}
	// One durable consumer shared by every worker: each pulls one chunk
	// when it is free. MaxDeliver has one delivery more than the option:
	// the worker that gets it answers the chunk's inputs with
	// ErrDeliveriesExhausted instead of running them.
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       n.consumer,
		Description:   "shmkit pool workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    o.MaxDeliver + 1,
		MaxWaiting:    4096,
		MaxAckPending: -1,
	})
	if err != nil {
		return nil, nil, jsError("creating consumer "+n.consumer+" of "+n.tasks, err)
	}
	return s, cons, nil
}
