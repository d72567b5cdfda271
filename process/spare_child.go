package process

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/shm"
)

// A spare's side (the parent's is in spares.go). A spare is this binary
// re-executed with envSpare and two descriptors: 3, its end of a unix
// stream socket, and 4, the write end of its result pipe; its standard
// input, output and error are /dev/null. Main
// (spareSetup) says it is ready by writing spareReady on the socket and
// blocks reading it. The parent writes an assignment frame (assign.go)
// with the task's descriptors attached, then the argument frame; from then
// on the socket is exactly a cold child's argument pipe: ctlCancel bytes,
// and end of file when the parent dies. The rest is a cold child's path
// (runChild), but for one byte back, spareTook, written just before the
// task runs.
//
// While it waits, SIGHUP (the parent-death signal, set at fork as for
// every child), SIGTERM and SIGINT end a spare as they end a cold child
// that is still starting: by the signal. It has asked for them already
// (notifyTask, whose first call costs a few hundred microseconds: the
// runtime starts its signal thread), and idleSignals dies by any that
// comes before the task; afterwards the task's ctx takes the same channel
// over. End of file on the socket (the parent died, or StopSpares) ends
// it quietly. Its socket is non-blocking, so the task's watch on it (see
// taskctx.go) holds no thread.

// The bytes a spare writes on its socket: spareReady once it waits for
// its task; spareTook once it has read its task and argument and is about
// to run it (its signal handlers set), so that the parent knows whether a
// spare that died had started the task (see startWarm).
const (
	spareReady = 'r'
	spareTook  = 't'
)

// errNoTask: a spare that ends without a task (stopped, or orphaned).
var errNoTask = errors.New("spare ended before it was given a task")

func spareSetup(s *childSetup) error {
	s.ppid, _ = strconv.Atoi(os.Getenv(envPPID))
	s.parentName = os.Getenv(envParentName)
	current = Info{Name: "spare", Pid: os.Getpid(), ParentPid: s.ppid, Child: true}
	for _, fd := range []uintptr{fdArgs, fdResult} {
		kernel.CloseOnExec(fd)
	}
	sock, err := kernel.NonblockFile(fdArgs, "shmkit-args")
	if err != nil {
		return errNoTask
	}
	sigs, stop, stopped := notifyTask(), make(chan struct{}), make(chan struct{})
	go idleSignals(sigs, stop, stopped)
	if s.ppid > 0 {
		if err := kernel.SetParentDeathSignal(syscall.SIGHUP, s.ppid); err != nil {
			return errNoTask // the parent is already gone
		}
	}
	if _, err := sock.Write([]byte{spareReady}); err != nil {
		return errNoTask
	}
	a, files, err := receiveAssignment(sock)
	if err != nil {
		return err
	}
	close(stop)
	<-stopped
	s.sigs = sigs
	s.args, s.results = sock, os.NewFile(fdResult, "shmkit-result")
	s.took = func() { sock.Write([]byte{spareTook}) } // a parent gone is seen by the task's ctx
	return applyAssignment(s, a, files)
}

// idleSignals ends a spare by the first of SIGTERM, SIGINT and SIGHUP that
// comes before its task (stop), as their default action would.
func idleSignals(sigs <-chan os.Signal, stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	select {
	case sig := <-sigs:
		signal.Reset(sig)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Signal(sig)
		}
		select {} // the signal is on its way
	case <-stop:
	}
}

// receiveAssignment reads the assignment frame and the descriptors that
// came with it (with its first bytes: see kernel.SendFDs).
func receiveAssignment(sock *os.File) (assignment, []*os.File, error) {
	var hdr [4]byte
	n, files, err := kernel.RecvFDs(sock, hdr[:], kernel.MaxPassFDs)
	if err != nil || n == 0 {
		return assignment{}, nil, errNoTask // the parent is gone, or stopped us
	}
	closeFiles := func(err error) (assignment, []*os.File, error) {
		for _, f := range files {
			f.Close()
		}
		return assignment{}, nil, err
	}
	if _, err := io.ReadFull(sock, hdr[n:]); err != nil {
		return closeFiles(errNoTask)
	}
	size := binary.LittleEndian.Uint32(hdr[:])
	if size > maxAssign {
		return closeFiles(fmt.Errorf("assignment of %d bytes: %w", size, errBadAssign))
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(sock, body); err != nil {
		return closeFiles(errNoTask)
	}
	a, err := parseAssignment(body)
	if err != nil {
		return closeFiles(err)
	}
	if len(files) != 2+len(a.Segs)+a.Files {
		return closeFiles(fmt.Errorf("%w: %d descriptors for output, error, %d segments and %d files", errBadAssign, len(files), len(a.Segs), a.Files))
	}
	return a, files, nil
}

// applyAssignment makes this process what a cold child of the same Start
// would be: its standard output and error, its name, its environment (the parent's when the spare
// started, plus WithEnv's entries and the same markers, set in the same
// order so that the later entry wins as exec's does), its segments and
// files, and its timing.
func applyAssignment(s *childSetup, a assignment, files []*os.File) error {
	current.Name = a.Name
	s.task, s.grace, s.deadline = a.Task, a.Grace, deadlineOf(a.Deadline)
	for i, f := range files[:2] { // the task's standard output and error
		err := kernel.DupTo(f, 1+i)
		f.Close()
		if err != nil {
			return err
		}
	}
	files = files[2:]
	var segs, fds []string
	for i, id := range a.Segs {
		if err := shm.Inherit(id, files[i]); err != nil {
			return err
		}
		segs = append(segs, strconv.FormatUint(id, 16)+":"+strconv.Itoa(fdOf(files[i])))
	}
	childFiles = files[len(a.Segs):]
	for _, f := range childFiles {
		fds = append(fds, strconv.Itoa(fdOf(f)))
	}
	for _, kv := range a.Env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	os.Unsetenv(envSpare)
	for _, kv := range [][2]string{{envTask, a.Task}, {envName, a.Name}, {envSegs, strings.Join(segs, ",")},
		{envFiles, strings.Join(fds, ",")}, {envGrace, strconv.FormatInt(int64(a.Grace), 10)}, {envDeadline, deadlineEnv(a.Deadline)}} {
		os.Setenv(kv[0], kv[1])
	}
	return nil
}

// deadlineEnv is envDeadline's value for a deadline in Unix nanoseconds.
func deadlineEnv(ns int64) string {
	if ns == 0 {
		return ""
	}
	return strconv.FormatInt(ns, 10)
}

// fdOf returns f's descriptor number without f.Fd's side effect (Fd makes
// the open file description blocking, which the parent shares).
func fdOf(f *os.File) int {
	fd := -1
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(d uintptr) { fd = int(d) })
	}
	return fd
}
