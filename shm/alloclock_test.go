package shm_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// allocHoldEnv makes the test binary a child that opens the named segment,
// takes its allocator lock, says "held" and waits to be killed.
const allocHoldEnv = "SHMKIT_TEST_ALLOC_HOLD"

func allocHold(name string) int {
	s, err := shm.Open(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := shm.HoldAllocLock(ctx, s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("held")
	<-ctx.Done() // killed long before
	return 0
}

// A process killed while it holds a segment's allocator lock does not wedge
// allocation: the next Alloc finds it dead and goes on, in milliseconds.
func TestAllocLockHolderKilled(t *testing.T) {
	name := fmt.Sprintf("shmkit-test-alloclock-%d", os.Getpid())
	s, err := shm.Create(name, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer shm.Remove(name)
	defer s.Close()

	for round := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), allocHoldEnv+"="+name)
		cmd.Stderr = os.Stderr
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if line != "held\n" {
			cmd.Process.Kill()
			cmd.Wait()
			cancel()
			t.Fatalf("child said %q", line)
		}
		cmd.Process.Kill()
		cmd.Wait()
		start := time.Now()
		if _, err := s.AllocContext(ctx, fmt.Sprintf("after-kill-%d", round), 64, 8); err != nil {
			cancel()
			t.Fatalf("Alloc after the holder was killed: %v", err)
		}
		t.Logf("round %d: allocation went on %v after the kill", round, time.Since(start))
		cancel()
	}
}

// A lock word left by a dead process whose pid is now used by a live one
// (here: this process's pid with another start time, and the parent's pid
// with another start time) is a dead holder's: allocation goes on. The old
// word held a bare pid, so a reused pid wedged every Alloc for 10 s.
func TestAllocLockPidReused(t *testing.T) {
	s, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	me, _ := owner.SelfID()
	ppid := os.Getppid()
	pst, err := kernel.StartTime(ppid)
	if err != nil {
		t.Skip(err)
	}
	parentEarlier, _ := owner.Make(ppid, pst+1)
	for i, w := range []uint64{me ^ 1<<owner.StartShift, parentEarlier} {
		shm.ForgeAllocLock(s, w)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := s.AllocContext(ctx, fmt.Sprintf("o%d", i), 64, 8)
		cancel()
		if err != nil {
			t.Fatalf("word %#x: Alloc = %v, want it taken over", w, err)
		}
	}
}

// Allocation waits for a live holder until its context ends, and says who
// holds the lock.
func TestAllocLockContext(t *testing.T) {
	s, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ppid := os.Getppid()
	pst, err := kernel.StartTime(ppid)
	if err != nil {
		t.Skip(err)
	}
	parent, _ := owner.Make(ppid, pst)
	shm.ForgeAllocLock(s, parent)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = s.AllocContext(ctx, "x", 64, 8)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Alloc behind a live holder = %v, want the context's error", err)
	}
	shm.ForgeAllocLock(s, 0)
	if _, err := s.Alloc("x", 64, 8); err != nil {
		t.Fatal(err)
	}
}
