package bench

import "syscall"

// osYield gives the core to another runnable thread, if any (sched_yield):
// a spinner waiting for a peer that shares its core lets the peer run.
func osYield() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
