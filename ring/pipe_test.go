package ring_test

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

func TestPipeInProcess(t *testing.T) {
	seg := segtest.NewSize(t, 4<<20)
	a, b, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	short, cshort := context.WithTimeout(ctx, 2*time.Millisecond)
	defer cshort()
	if a.Poll(short) {
		t.Fatal("poll on an empty pipe")
	}
	if err := b.Send(ctx, []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if !a.Poll(ctx) {
		t.Fatal("poll after send")
	}
	var v []int
	if err := a.Recv(ctx, &v); err != nil || len(v) != 3 || v[2] != 3 {
		t.Fatal(v, err)
	}
	if err := a.SendBytes(ctx, []byte("pong")); err != nil {
		t.Fatal(err)
	}
	if m, err := b.RecvBytes(ctx); err != nil || string(m) != "pong" {
		t.Fatal(string(m), err)
	}
	// Byte stream: a long write split over messages, read in small pieces.
	msg := make([]byte, 10000)
	for i := range msg {
		msg[i] = byte(i)
	}
	wrote := make(chan struct{})
	go func() {
		b.Write(msg)
		b.Close()
		close(wrote)
	}()
	got, err := io.ReadAll(a)
	<-wrote // b.Close wakes a after letting go: out of it before the segment goes
	if err != nil || len(got) != len(msg) || got[9999] != msg[9999] {
		t.Fatal(len(got), err)
	}
	if err := a.SendBytes(ctx, []byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("send after the peer closed: %v", err)
	}
	// Simplex: c1 receives, c2 sends.
	r, w, err := ring.NewPipe(seg, "s", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SendBytes(ctx, nil); err == nil {
		t.Fatal("send on a receive-only end")
	}
	if err := w.Send(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := r.Recv(ctx, &s); err != nil || s != "hi" {
		t.Fatal(s, err)
	}
}
