package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/shmkit/shmkit/shm"
)

// Which processes map a segment: ipcs's nattch for files in /dev/shm. A
// segment's creator may be dead while another process (a Python program
// that opened it by name, a child that inherited it) still maps it, so
// "stale" (the creator died) never means "unused"; gc and rm go by this
// count.
//
// It reads every /proc/PID/maps and keeps the lines whose file is in
// /dev/shm, by inode. What it cannot see, as lsof cannot: a process whose
// maps it may not read (another user's, as a non-root user; pid 1 of a
// container without CAP_SYS_PTRACE). Those are skipped. Removing a file that such a process maps costs that process
// nothing (its mapping stays); only new opens by name fail. When /proc
// itself cannot be read, nothing is known and every file counts as mapped.
// A file held open but not mapped is not counted, as nattch does not count
// it.

// mapper is one process that maps a file.
type mapper struct {
	PID  int    `json:"pid"`
	Comm string `json:"command"`
}

func (m mapper) String() string { return fmt.Sprintf("%d %s", m.PID, m.Comm) }

// mappings is one scan of /proc: the processes mapping each inode of
// /dev/shm, and the processes it could not read.
type mappings struct {
	byInode map[uint64][]mapper
	err     error // /proc itself could not be read: nothing is known
}

// attach is what a scan says of one file.
type attach struct {
	Procs []mapper // the processes seen mapping it
	Known bool     // false when /proc could not be read
	Why   string   // why the count is not known
}

// Count returns the number of processes seen, as text: "2", or "?" when
// /proc could not be read.
func (a attach) Count() string {
	if !a.Known {
		return "?"
	}
	return strconv.Itoa(len(a.Procs))
}

// Mapped reports whether the file may be mapped: some process maps it,
// or the count is not known.
func (a attach) Mapped() bool { return len(a.Procs) > 0 || !a.Known }

// Except returns a without pid (this process, which maps a segment to
// look at it).
func (a attach) Except(pid int) attach {
	out := a
	out.Procs = nil
	for _, m := range a.Procs {
		if m.PID != pid {
			out.Procs = append(out.Procs, m)
		}
	}
	return out
}

// Describe says who maps the file: "not mapped", "mapped by 2 processes:
// 4242 python3, 4300 demo".
func (a attach) Describe() string {
	var b strings.Builder
	if !a.Known {
		return "mapped by unknown processes (" + a.Why + ")"
	}
	if len(a.Procs) == 0 {
		b.WriteString("not mapped")
	} else {
		fmt.Fprintf(&b, "mapped by %s: ", plural(len(a.Procs), "process", "processes"))
		for i, m := range a.Procs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(m.String())
		}
	}
	return b.String()
}

// scanMappings reads /proc/*/maps once.
func scanMappings() *mappings {
	m := &mappings{byInode: map[uint64][]mapper{}}
	des, err := os.ReadDir("/proc")
	if err != nil {
		m.err = fmt.Errorf("counting the processes that map segments: %w", err)
		return m
	}
	prefix := []byte(" " + shm.Dir + "/")
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil || pid <= 0 {
			continue
		}
		inodes, err := mappedInodes(pid, prefix)
		if err != nil {
			continue // gone since ReadDir, or not ours to read
		}
		if len(inodes) == 0 {
			continue
		}
		who := mapper{PID: pid, Comm: procComm(pid)}
		for ino := range inodes {
			m.byInode[ino] = append(m.byInode[ino], who)
		}
	}
	for _, ps := range m.byInode {
		sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID })
	}
	return m
}

// mappedInodes returns the inodes of the files under prefix (" /dev/shm/")
// that process pid maps.
func mappedInodes(pid int, prefix []byte) (map[uint64]bool, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "maps"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[uint64]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		// address perms offset dev inode   pathname
		i := bytes.Index(line, prefix)
		if i < 0 {
			continue
		}
		fields := bytes.Fields(line[:i])
		if len(fields) < 5 {
			continue
		}
		if ino, err := strconv.ParseUint(string(fields[4]), 10, 64); err == nil && ino != 0 {
			out[ino] = true
		}
	}
	return out, sc.Err()
}

// procComm returns a process's command name: the last element of its
// argv[0] (a child that package process re-executed through
// /proc/self/exe has "exe" for its comm, but its parent's argv[0]), else
// its comm, else "?".
func procComm(pid int) string {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	if b, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		if arg0, _, _ := strings.Cut(string(b), "\x00"); arg0 != "" {
			return filepath.Base(arg0)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// of returns what the scan says of the file name in /dev/shm.
func (m *mappings) of(name string) attach {
	if m.err != nil {
		return attach{Procs: []mapper{}, Why: m.err.Error()}
	}
	fi, err := os.Stat(filepath.Join(shm.Dir, name))
	if err != nil {
		return attach{Procs: []mapper{}, Why: err.Error()}
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return attach{Procs: []mapper{}, Why: "no inode number on this system"}
	}
	return attach{Procs: append([]mapper{}, m.byInode[st.Ino]...), Known: true}
}
