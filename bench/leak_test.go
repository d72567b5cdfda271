package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// children returns the pids of this process's live children.
func children() string {
	var all []string
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", os.Getpid()))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		all = append(all, strings.Fields(string(b))...)
	}
	return strings.Join(all, " ")
}

// TestNoLeaks: cases, failed ones included, leave no descriptor open and no
// child process behind.
func TestNoLeaks(t *testing.T) {
	run := func() {
		for _, tr := range []string{"pipe-raw", "os-pipe", "unix-seqpacket", "tcp-loopback", "shm-spsc", "cacheline"} {
			for _, corrupt := range []int{0, 2} {
				c := Case{Scenario: "pingpong", Transport: tr, Size: 64, Batch: 1, Ops: 20, Timeout: time.Minute}
				c.hooks.Corrupt = corrupt
				if tr == "shm-spsc" {
					c.Mode = "blocking"
				}
				if r := RunCase(context.Background(), c); r.Failed != (corrupt > 0) {
					t.Fatalf("%s corrupt=%d: %s", tr, corrupt, r.Note)
				}
			}
		}
	}
	run() // warm up: the runtime and package process open descriptors once
	before := openFDs(t)
	run()
	deadline := time.Now().Add(10 * time.Second)
	for children() != "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if c := children(); c != "" {
		t.Errorf("children left running: %s", c)
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open before, %d after", before, after)
	}
}
