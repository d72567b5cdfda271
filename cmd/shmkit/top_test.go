package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
	shmsync "github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

// putOnce runs in a child: one Put into the queue, then exit, leaving a
// participant entry whose process is dead.
var putOnce = process.Register("cmdtest.put", func(ctx context.Context, a [2]string) (struct{}, error) {
	s, err := shm.Open(a[0])
	if err != nil {
		return struct{}{}, err
	}
	defer s.Close()
	q, err := ring.OpenMPMC(s, a[1])
	if err != nil {
		return struct{}{}, err
	}
	return struct{}{}, q.TryPut([]byte("from a child that dies"))
})

// busySegment makes a segment with one object of each kind top shows and
// keeps its queue and ring busy (from one goroutine: one participant)
// until the test ends. The queue also has a dead participant, and the
// mutex is held by this process.
func busySegment(t *testing.T) string {
	t.Helper()
	name := segName(t, "top")
	s, err := shm.Create(name, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ring.NewMPMC(s, "jobs", &ring.Options{Capacity: 64})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ring.NewRing(s, "log", &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	mu, err := shmsync.NewMutex(s, "lock")
	if err != nil {
		t.Fatal(err)
	}
	if err := mu.Lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := array.New[float64](s, "samples", 16); err != nil {
		t.Fatal(err)
	}
	counter, err := value.NewInt[int64](s, "counter", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.TryPut([]byte("first")); err != nil { // this process's entry, first
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := process.Run(ctx, putOnce, [2]string{name, "jobs"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 256)
		for ctx.Err() == nil {
			for range 10 { // keep 2-12 in the queue, 5 records in the ring
				q.TryPut([]byte("job"))
				r.TryWrite([]byte("line"))
			}
			for range 10 {
				q.TryGet(buf)
				r.TryRead(buf)
			}
			counter.Add(1)
			time.Sleep(time.Millisecond)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		mu.Unlock()
		s.Close()
	})
	return name
}

// TestTopPlain: off a terminal, top prints plain frames, with rates.
func TestTopPlain(t *testing.T) {
	name := busySegment(t)
	code, out, errOut := runBin(t, "top", "-n", "2", "--interval", "300ms", name)
	if code != 0 || errOut != "" {
		t.Fatalf("top: %d\n%s\nstderr: %s", code, out, errOut)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape sequences off a terminal:\n%q", out)
	}
	frames := strings.Split(out, "\n\n"+"shmkit top ")
	for i := 1; i < len(frames); i++ {
		frames[i] = "shmkit top " + frames[i]
	}
	if len(frames) != 2 {
		t.Fatalf("%d frames, want 2:\n%s", len(frames), out)
	}
	pid := strconv.Itoa(os.Getpid())
	for _, want := range []string{
		"shmkit top " + name, "mapped by 1 process: " + pid,
		"KIND", "DEPTH", "IN/s", "OUT/s",
		"participants 1 alive, 1 dead",
		"locked by pid " + pid,
		"array  samples", "value  counter",
	} {
		if !strings.Contains(frames[1], want) {
			t.Errorf("frame lacks %q:\n%s", want, frames[1])
		}
	}
	// The busy queue and ring show rates in every frame.
	for _, obj := range []string{"queue  jobs", "ring   log"} {
		re := regexp.MustCompile(`(?m)^` + obj + `\s.*\s[\d.]+ [kMG]?/s\s+[\d.]+ [kMG]?/s\s`)
		for i, f := range frames {
			if !re.MatchString(f) {
				t.Errorf("frame %d: no rates for %s:\n%s", i+1, obj, f)
			}
		}
	}
	code, out, _ = runBin(t, "top", "--once", "-i", "100ms", name)
	if code != 0 || strings.Count(out, "shmkit top ") != 1 {
		t.Errorf("top --once: %d\n%s", code, out)
	}
}

// TestTopTerminal runs top in a tmux pane, as a person at a terminal:
// the view is drawn and redrawn in place, q exits with status 0, and so
// does Ctrl-C.
func TestTopTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("no tmux (apt-get install tmux): the terminal view is not tested; TestTopPlain tests the rest")
	}
	bin := shmkitBin(t)
	name := busySegment(t)
	sock := fmt.Sprintf("shmkit-test-%d", os.Getpid())
	tm := func(args ...string) string {
		out, _ := exec.Command(tmux, append([]string{"-L", sock}, args...)...).CombinedOutput()
		return string(out)
	}
	t.Cleanup(func() { tm("kill-server") })
	for _, key := range []string{"q", "C-c"} {
		session := "top" + strings.ReplaceAll(key, "-", "")
		tm("new-session", "-d", "-s", session, "-x", "160", "-y", "30",
			fmt.Sprintf("%s top --interval 200ms %s; echo EXIT=$?; sleep 60", bin, name))
		pane := waitPane(t, func() string { return tm("capture-pane", "-p", "-t", session) },
			func(p string) bool { return regexp.MustCompile(`queue\s+jobs\s.*\s[\d.]+ [kMG]?/s\s`).MatchString(p) })
		for _, want := range []string{"shmkit top " + name, "(q or Ctrl-C quits)", "KIND", "participants 1 alive, 1 dead"} {
			if !strings.Contains(pane, want) {
				t.Errorf("%s: the view lacks %q:\n%s", session, want, pane)
			}
		}
		if n := strings.Count(pane, "KIND"); n != 1 {
			t.Errorf("%s: %d headers on the screen, want 1 (redrawn in place):\n%s", session, n, pane)
		}
		t.Logf("the view, in tmux:\n%s", strings.TrimRight(pane, "\n"))
		tm("send-keys", "-t", session, key)
		pane = waitPane(t, func() string { return tm("capture-pane", "-p", "-t", session) },
			func(p string) bool { return strings.Contains(p, "EXIT=") })
		if !strings.Contains(pane, "EXIT=0") {
			t.Errorf("%s: top did not exit 0 after %s:\n%s", session, key, pane)
		}
	}
}

// waitPane polls capture until ok, for at most 15 s.
func waitPane(t *testing.T, capture func() string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		p := capture()
		if ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pane never showed what was awaited:\n%s", p)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
