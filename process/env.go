package process

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// What a parent tells a child through its environment. The descriptors
// are fixed: 3 is the argument pipe (read; the parent keeps the write end
// open for the child's whole life, so EOF on it means the parent died),
// 4 the result pipe (write). Inherited anonymous segments and the caller's
// extra files follow.
const (
	envTask  = "SHMKIT_PROCESS_TASK"
	envName  = "SHMKIT_PROCESS_NAME"
	envPPID  = "SHMKIT_PROCESS_PPID"
	envSegs  = "SHMKIT_PROCESS_SEGMENTS" // id:fd,id:fd (ids in hex)
	envFiles = "SHMKIT_PROCESS_FILES"    // fd,fd
	envGrace = "SHMKIT_PROCESS_GRACE"    // the grace period in nanoseconds
	// envDeadline: the parent's deadline for the call (Run), in Unix
	// nanoseconds; the wall clock is the one clock both processes share.
	envDeadline   = "SHMKIT_PROCESS_DEADLINE"
	envParentName = "SHMKIT_PROCESS_PARENT_NAME"
	// envSpare marks a spare child (spares.go): it has no task yet; 3 is
	// its socket, where the assignment arrives and which then serves as
	// the argument pipe, 4 its result pipe.
	envSpare = "SHMKIT_PROCESS_SPARE"
	envPfx   = "SHMKIT_PROCESS_"

	fdArgs   = 3
	fdResult = 4
)

// childEnv returns this process's environment without shmkit's markers,
// plus the given ones.
func childEnv(extra []string, kv ...string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, envPfx) {
			env = append(env, e)
		}
	}
	env = append(env, extra...)
	for i := 0; i+1 < len(kv); i += 2 {
		env = append(env, kv[i]+"="+kv[i+1])
	}
	return env
}

// parseFDs reads "a,b,c" (or "id:fd,…" with ids) from the environment.
func parseFDs(s string, withID bool) (ids []uint64, fds []int, err error) {
	if s == "" {
		return nil, nil, nil
	}
	for _, item := range strings.Split(s, ",") {
		var idStr, fdStr string = "", item
		if withID {
			var ok bool
			if idStr, fdStr, ok = strings.Cut(item, ":"); !ok {
				return nil, nil, fmt.Errorf("bad descriptor list %q", s)
			}
		}
		fd, err := strconv.Atoi(fdStr)
		if err != nil || fd < 3 {
			return nil, nil, fmt.Errorf("bad descriptor %q in %q", fdStr, s)
		}
		fds = append(fds, fd)
		if withID {
			id, err := strconv.ParseUint(idStr, 16, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("bad segment id %q in %q", idStr, s)
			}
			ids = append(ids, id)
		}
	}
	return ids, fds, nil
}

// parseTiming reads the grace period and the deadline (zero: none) a
// parent set.
func parseTiming(grace, deadline string) (time.Duration, time.Time, error) {
	g, d := DefaultGrace, time.Time{}
	if grace != "" {
		n, err := strconv.ParseInt(grace, 10, 64)
		if err != nil || n < 0 {
			return 0, d, fmt.Errorf("bad grace period %q", grace)
		}
		g = time.Duration(n)
	}
	if deadline != "" {
		n, err := strconv.ParseInt(deadline, 10, 64)
		if err != nil {
			return 0, d, fmt.Errorf("bad deadline %q", deadline)
		}
		d = time.Unix(0, n)
	}
	return g, d, nil
}
