package process

// SparePids returns the pids of the idle spares, oldest first, for the
// tests.
func SparePids() []int {
	spares.mu.Lock()
	defer spares.mu.Unlock()
	var pids []int
	for _, s := range spares.idle {
		pids = append(pids, s.cmd.Process.Pid)
	}
	return pids
}
