package owner

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/shmkit/shmkit/internal/kernel"
)

func TestSelfAlive(t *testing.T) {
	me, err := SelfID()
	if err != nil {
		t.Fatal(err)
	}
	if Pid(me) != os.Getpid() || me&^IDMask != 0 {
		t.Fatalf("SelfID = %#x: pid %d, want %d and no flag bits", me, Pid(me), os.Getpid())
	}
	if !Alive(me) {
		t.Fatal("this process is not alive")
	}
	// An earlier process that had this pid (another start time) is dead.
	if Alive(me ^ 1<<StartShift) {
		t.Fatal("a reused pid's earlier owner counts as alive")
	}
	if Alive(0) || Alive(me&^PidMask) {
		t.Fatal("pid 0 counts as alive")
	}
}

// A pid above Linux's limit names no process; a process that exited and
// was reaped is dead; its id stays dead.
func TestDeadProcess(t *testing.T) {
	if id, _ := Make(1<<22+7, 12345); Alive(id) {
		t.Fatal("impossible pid alive")
	}
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	pid := cmd.Process.Pid
	st, err := kernel.StartTime(pid)
	started := err == nil
	cmd.Wait()
	if started {
		id, _ := Make(pid, st)
		if Alive(id) {
			t.Fatal("reaped child alive")
		}
	}
	if _, err := Make(0, 1); err == nil {
		t.Fatal("Make(0) accepted")
	}
	if _, err := Make(PidMask+1, 1); err == nil {
		t.Fatal("Make of a pid over 24 bits accepted")
	}
}

// Under EMFILE /proc cannot be read: a live process must still count as
// alive (the old rule, "any read error means dead", let a live MPMC
// producer be tombstoned), and a vanished one as dead (kill(pid, 0) needs
// no descriptor).
func TestAliveUnderEMFILE(t *testing.T) {
	ppid := os.Getppid()
	st, err := kernel.StartTime(ppid)
	if err != nil {
		t.Skip(err)
	}
	parent, _ := Make(ppid, st)
	gone, _ := Make(1<<22+7, 1)

	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	small := lim
	small.Cur = 64
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &small); err != nil {
		t.Skip(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			break
		}
		files = append(files, f)
	}
	if _, err := kernel.StartTime(ppid); err == nil {
		t.Skip("descriptors not exhausted")
	}
	if !Alive(parent) {
		t.Fatal("a live process counts as dead under EMFILE")
	}
	if Alive(gone) {
		t.Fatal("a vanished process counts as alive under EMFILE")
	}
	if !PidAlive(ppid) || PidAlive(1<<22+7) {
		t.Fatal("PidAlive wrong under EMFILE")
	}
}

func TestDescribe(t *testing.T) {
	me, _ := SelfID()
	if got, want := Describe(me), "pid "+itoa(os.Getpid())+" (alive)"; got != want {
		t.Fatalf("Describe = %q, want %q", got, want)
	}
}

func itoa(n int) string {
	b := []byte{}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
