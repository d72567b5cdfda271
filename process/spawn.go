package process

import (
	"os/exec"
	"runtime"
	"sync"
)

// The parent-death signal is delivered when the *thread* that forked the
// child exits, not the process. Go retires threads (a goroutine that exits
// while locked to its thread takes the thread with it), so children are
// forked from one goroutine locked to a thread that lives as long as the
// process. The obvious version, cmd.Start() on the caller's goroutine,
// kills children at random when the runtime drops that thread.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startCmd(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go spawnLoop(spawner.reqs)
	})
	r := spawnReq{cmd: cmd, done: make(chan error, 1)}
	spawner.reqs <- r
	return <-r.done
}

func spawnLoop(reqs chan spawnReq) {
	runtime.LockOSThread() // never unlocked: this thread must not exit
	for r := range reqs {
		r.done <- r.cmd.Start()
	}
}
