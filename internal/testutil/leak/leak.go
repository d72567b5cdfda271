// Package leak checks that a test binary's tests left nothing behind: no
// new file in /dev/shm, no child process (running or zombie), no new open
// file descriptor. Every package's TestMain calls Main instead of m.Run.
//
// It imports nothing of shmkit, so that any package's tests can use it
// (shm's included), and it reads only /proc and /dev/shm: on a system
// without them the corresponding check finds nothing.
package leak

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Option changes what Main does.
type Option func(*config)

type config struct {
	logOnly bool
	cleanup []func()
}

// LogOnly prints the leaks but leaves the exit code alone: for a package
// whose known leaks are not fixed yet.
func LogOnly(c *config) { c.logOnly = true }

// Cleanup runs fn after the tests and before the check: for what a
// package's TestMain itself tears down after m.Run.
func Cleanup(fn func()) Option {
	return func(c *config) { c.cleanup = append(c.cleanup, fn) }
}

// ShmDir is where named segments live.
const ShmDir = "/dev/shm"

// Grace is how long Check waits for leaks to go away before reporting
// them: children of goroutines that are still finishing get reaped, a
// concurrent Close completes, another test binary running at the same
// time removes its short-lived files.
const Grace = 2 * time.Second

// Main runs m's tests between a Snapshot and its Check, prints what
// leaked to stderr and returns m.Run's exit code, or 1 if that was 0 and
// something leaked (unless LogOnly). Use it as
//
//	func TestMain(m *testing.M) {
//		process.Main() // where the tests re-execute children: first
//		os.Exit(leak.Main(m))
//	}
func Main(m *testing.M, opts ...Option) int {
	var c config
	for _, o := range opts {
		o(&c)
	}
	s := Take()
	code := m.Run()
	for _, fn := range c.cleanup {
		fn()
	}
	leaks := s.Check(Grace)
	if len(leaks) == 0 {
		return code
	}
	what := "FAIL"
	if c.logOnly {
		what = "known, not failing (LogOnly)"
	}
	fmt.Fprintf(os.Stderr, "leak: the tests left %d thing(s) behind [%s]:\n", len(leaks), what)
	for _, l := range leaks {
		fmt.Fprintf(os.Stderr, "leak:   %s\n", l)
	}
	if code == 0 && !c.logOnly {
		code = 1
	}
	return code
}

// Snapshot is what existed before the tests ran.
type Snapshot struct {
	pid   int
	files map[string]uint64 // /dev/shm name -> inode
	fds   map[int]string    // fd -> readlink target
}

// Take records the files in /dev/shm and this process's open file
// descriptors.
func Take() *Snapshot {
	return &Snapshot{pid: os.Getpid(), files: shmFiles(), fds: openFDs()}
}

// Check lists what appeared since Take and is still there: a file in
// /dev/shm, a child process, an open file descriptor. It polls for up to
// grace until everything is gone, and returns what is left then (nil if
// nothing).
func (s *Snapshot) Check(grace time.Duration) []string {
	deadline := time.Now().Add(grace)
	for {
		leaks := s.leaks()
		if len(leaks) == 0 || !time.Now().Before(deadline) {
			return leaks
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Snapshot) leaks() []string {
	var out []string
	out = append(out, s.childLeaks()...)
	out = append(out, s.fileLeaks()...)
	out = append(out, s.fdLeaks()...)
	return out
}

// --- child processes

type proc struct {
	pid, ppid int
	state     string
	comm      string
}

// procs reads every process's /proc/PID/stat; a process that exits
// meanwhile is skipped.
func procs() []proc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var ps []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid …"; comm may hold spaces and parentheses.
		st := string(b)
		lp, rp := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if lp < 0 || rp < lp {
			continue
		}
		f := strings.Fields(st[rp+1:])
		if len(f) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		ps = append(ps, proc{pid: pid, ppid: ppid, state: f[0], comm: st[lp+1 : rp]})
	}
	return ps
}

// childLeaks: any child of this process, zombies included (a zombie is a
// child nobody waited for).
func (s *Snapshot) childLeaks() []string {
	var out []string
	for _, p := range procs() {
		if p.ppid != s.pid {
			continue
		}
		what := "running"
		if p.state == "Z" {
			what = "zombie, never waited for"
		}
		cmd := p.comm
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid)); err == nil && len(b) > 0 {
			cmd = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		}
		var env string
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.pid)); err == nil {
			for _, kv := range strings.Split(string(b), "\x00") {
				if strings.HasPrefix(kv, "SHMKIT") {
					env += " " + kv
				}
			}
		}
		out = append(out, fmt.Sprintf("child process %d (%s, state %s): %s%s", p.pid, what, p.state, cmd, env))
	}
	return out
}

// --- files in /dev/shm

// shmFiles maps every name in ShmDir to its inode (so that a file removed
// and created again under the same name counts as new).
func shmFiles() map[string]uint64 {
	ents, err := os.ReadDir(ShmDir)
	if err != nil {
		return map[string]uint64{}
	}
	m := make(map[string]uint64, len(ents))
	for _, e := range ents {
		var st syscall.Stat_t
		if syscall.Lstat(filepath.Join(ShmDir, e.Name()), &st) == nil {
			m[e.Name()] = st.Ino
		}
	}
	return m
}

var digits = regexp.MustCompile(`[0-9]+`)

// fileLeaks: every file of ShmDir that is new since Take (shmkit-test-*,
// shmkit-example-*, a crash-safe creation's .shmkit-tmp-*, Python's
// psm_*, anything), unless it belongs to another process. /dev/shm is
// shared by everything on the machine, other test binaries running at
// the same time included, so a new file is left out when its name holds
// the pid of a live process that is neither this one nor its child
// (shmkit's test names embed the creator's pid), or when such a process
// has it open or mapped. Other processes' short-lived files are also
// absorbed by Check's grace period. A file this process or its (by then
// dead) children made and left is reported.
func (s *Snapshot) fileLeaks() []string {
	now := shmFiles()
	var names []string
	for name, ino := range now {
		if old, ok := s.files[name]; ok && old == ino {
			continue
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	ps := procs()
	alive := make(map[int]bool, len(ps))
	for _, p := range ps {
		// Not this process or its children, nor a kernel thread (pid
		// 2 and its children): a small number in a name is no pid.
		if p.pid != s.pid && p.ppid != s.pid && p.pid != 2 && p.ppid != 2 && p.ppid != 0 {
			alive[p.pid] = true
		}
	}
	var users map[string]int // lazily: file path -> a foreign pid using it
	var out []string
	for _, name := range names {
		if foreignPid(name, s.pid, alive) != 0 {
			continue
		}
		path := filepath.Join(ShmDir, name)
		if users == nil {
			users = shmUsers(ps, s.pid)
		}
		if users[path] != 0 {
			continue
		}
		size := ""
		if fi, err := os.Lstat(path); err == nil {
			size = fmt.Sprintf(", %d bytes", fi.Size())
		}
		out = append(out, fmt.Sprintf("file %s (new since the tests started%s)", path, size))
	}
	return out
}

// foreignPid returns a number in name that is the pid of a live process
// in alive (not this process, not its child), or 0. A name holding self's
// pid is this process's.
func foreignPid(name string, self int, alive map[int]bool) int {
	nums := digits.FindAllString(name, -1)
	for _, n := range nums {
		if pid, err := strconv.Atoi(n); err == nil && pid == self {
			return 0
		}
	}
	for _, n := range nums {
		if pid, err := strconv.Atoi(n); err == nil && pid > 1 && alive[pid] {
			return pid
		}
	}
	return 0
}

// shmUsers maps each ShmDir path that a process other than self (and its
// children) has open or mapped to that process's pid. Processes whose
// fds or maps cannot be read are skipped.
func shmUsers(ps []proc, self int) map[string]int {
	users := map[string]int{}
	prefix := ShmDir + "/"
	for _, p := range ps {
		if p.pid == self || p.ppid == self {
			continue
		}
		dir := fmt.Sprintf("/proc/%d/fd", p.pid)
		if ents, err := os.ReadDir(dir); err == nil {
			for _, e := range ents {
				if t, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(t, prefix) {
					users[t] = p.pid
				}
			}
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", p.pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if i := strings.Index(line, prefix); i >= 0 {
					users[strings.TrimSuffix(line[i:], " (deleted)")] = p.pid
				}
			}
		}
	}
	return users
}

// --- file descriptors

// runtimeFDs are readlink targets of descriptors Go's runtime and
// standard library open lazily, once, and keep for the life of the
// process, so one may first appear during the tests without being a
// test's leak:
//   - anon_inode:[eventpoll]: the network poller's epoll instance, made on
//     the first pollable file (a pipe, a socket, os/exec's stdio);
//   - anon_inode:[eventfd]: the poller's wake-up descriptor, made with it;
//   - anon_inode:[pidfd]: os.StartProcess keeps a pidfd per started child
//     until it is waited for or released, and the os package probes pidfd
//     support once with one of its own.
//
// A leaked pidfd of a child nobody waited for shows up as a child
// process as well, which childLeaks reports.
var runtimeFDs = map[string]bool{
	"anon_inode:[eventpoll]": true,
	"anon_inode:[eventfd]":   true,
	"anon_inode:[pidfd]":     true,
}

// openFDs maps this process's open descriptors to their readlink
// targets, leaving out the one used to read the listing.
func openFDs() map[int]string {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return map[int]string{}
	}
	defer d.Close()
	self := int(d.Fd())
	names, err := d.Readdirnames(-1)
	if err != nil {
		return map[int]string{}
	}
	m := make(map[int]string, len(names))
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil || fd == self {
			continue
		}
		t, err := os.Readlink("/proc/self/fd/" + n)
		if err != nil {
			continue // closed meanwhile
		}
		m[fd] = t
	}
	return m
}

// fdLeaks: every open descriptor that was not open before (or was, to
// something else), except the runtime's (runtimeFDs).
func (s *Snapshot) fdLeaks() []string {
	now := openFDs()
	var fds []int
	for fd, t := range now {
		if old, ok := s.fds[fd]; ok && old == t {
			continue
		}
		if runtimeFDs[t] {
			continue
		}
		fds = append(fds, fd)
	}
	sort.Ints(fds)
	var out []string
	for _, fd := range fds {
		out = append(out, fmt.Sprintf("file descriptor %d -> %s", fd, now[fd]))
	}
	return out
}
