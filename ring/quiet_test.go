package ring_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// A sleeping reader is not woken by WriteQuiet, finds the records when the
// next Write wakes it, in order, and a writer that must wait for room wakes
// it first. Quiet sleeps are made an hour long, so that a missing wake
// shows as a wait that runs into the test's deadline.
func TestWriteQuiet(t *testing.T) {
	defer ring.SetQuietSlice(time.Hour)()
	ctx := testutil.Context(t)
	r, err := ring.NewRing(segtest.NewSize(t, 1<<16), "r", &ring.Options{Capacity: 1024})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 300)
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 256)
		for {
			n, err := r.Read(ctx, buf)
			if err != nil {
				errc <- err
				return
			}
			got <- string(buf[:n])
		}
	}()
	defer func() { // the reader must be gone before the segment is unmapped
		r.Close()
		<-done
		select {
		case err := <-errc:
			if !errors.Is(err, io.EOF) {
				t.Errorf("reader ended with %v, want io.EOF", err)
			}
		default: // reported already
		}
	}()
	testutil.WaitFor(t, ctx, "the reader to sleep", func() bool { return r.Stats().Sleeps > 0 })
	for i := range 3 {
		if err := r.WriteQuiet(ctx, fmt.Appendf(nil, "quiet %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if s := r.Stats(); s.Wakes != 0 || s.In != 3 {
		t.Fatalf("after 3 quiet writes: %d wakes, %d records in; want 0 and 3", s.Wakes, s.In)
	}
	if err := r.Write(ctx, []byte("loud")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"quiet 0", "quiet 1", "quiet 2", "loud"} {
		select {
		case s := <-got:
			if s != want {
				t.Fatalf("read %q, want %q", s, want)
			}
		case err := <-errc:
			t.Fatal(err)
		}
	}
	// Far more than the ring holds, all quiet: each time the writer waits
	// for room it must wake the reader, or both wait forever.
	testutil.WaitFor(t, ctx, "a second sleep", func() bool { return r.Stats().Sleeps > 1 })
	for i := range 200 {
		if err := r.WriteQuiet(ctx, fmt.Appendf(nil, "bulk %03d", i)); err != nil {
			t.Fatalf("quiet write %d: %v", i, err)
		}
	}
	r.Commit()
	for i := range 200 {
		select {
		case s := <-got:
			if want := fmt.Sprintf("bulk %03d", i); s != want {
				t.Fatalf("read %q, want %q", s, want)
			}
		case err := <-errc:
			t.Fatal(err)
		}
	}
}

// The end of the context cuts a quiet sleep short (it is woken, not left
// to its slice), on both sides of a ring.
func TestQuietSleepCancelled(t *testing.T) {
	defer ring.SetQuietSlice(time.Hour)()
	ctx := testutil.Context(t)
	r, err := ring.NewRing(segtest.NewSize(t, 1<<16), "r", &ring.Options{Capacity: 1024})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(rctx, make([]byte, 64))
		errc <- err
	}()
	testutil.WaitFor(t, ctx, "the reader to sleep", func() bool { return r.Stats().Sleeps > 0 })
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled read: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("a cancelled read slept on")
	}
	for r.TryWrite(make([]byte, 100)) == nil { // fill it
	}
	wctx, cancel := context.WithCancel(ctx)
	go func() { errc <- r.Write(wctx, make([]byte, 100)) }()
	testutil.WaitFor(t, ctx, "a second sleep", func() bool { return r.Stats().Sleeps > 1 })
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled write: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("a cancelled write slept on")
	}
}
