package ring_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

func TestDescribe(t *testing.T) {
	seg := segtest.NewSize(t, 4<<20)
	ctx := context.Background()
	r, _ := ring.NewRing(seg, "r", &ring.Options{Capacity: 1024})
	r.Write(ctx, []byte("hello"))
	q, _ := ring.NewMPMC(seg, "q", &ring.Options{Capacity: 16})
	q.Put(ctx, []byte("a"))
	q.Put(ctx, []byte("b"))
	q.Close()
	a, _, _ := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 1024})
	a.SendBytes(ctx, []byte("x"))
	want := map[string]string{
		"r": "len 16/1024 B, in 1 out 0, writer pid " + strconv.Itoa(os.Getpid()) + " (alive)",
		"q": "len 2/16 slots, in 2 out 0, closed",
		"p": "b→a: len 16/1024 B, in 1 out 0",
	}
	for name, w := range want {
		o, err := seg.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := shm.Describe(o); !strings.Contains(got, w) {
			t.Errorf("%s: %q, want it to contain %q", name, got, w)
		}
	}
	// A corrupt object describes as an error, not a panic.
	o, _ := seg.Lookup("r")
	o.Bytes()[0] ^= 0xff
	if got := shm.Describe(o); !strings.Contains(got, "corrupt") {
		t.Errorf("corrupt ring: %q", got)
	}
}
