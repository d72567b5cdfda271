package bench

// Every scenario, registered in display order: the transport scenarios,
// then those of the packages built on them (lock, value, dict, pools,
// spawn), each defined in its own file.
func init() {
	Register(Scenario{
		Name:       "pingpong",
		Doc:        "round trip of one message and its answer between two processes",
		Kind:       Latency,
		Baselines:  []string{"os-pipe", "pipe-raw"},
		Transports: transportsFor("pingpong", func(t *transport) bool { return true }),
		Cases:      pingpongCases,
		Run:        runPingpong,
	})
	Register(Scenario{
		Name:       "stream",
		Doc:        "one-way messages from one process to another, every byte checked",
		Kind:       Throughput,
		Baselines:  []string{"os-pipe", "pipe-raw"},
		Transports: transportsFor("stream", func(t *transport) bool { return !t.pingOnly }),
		Cases:      streamCases,
		Run:        runStream,
	})
	Register(Scenario{
		Name:       "fanin",
		Doc:        "2 producer and 2 consumer processes on one channel, 64 B, exactly once",
		Kind:       Throughput,
		Baselines:  []string{"os-pipe", "pipe-raw"},
		Transports: transportsFor("fanin", func(t *transport) bool { return t.fanin }),
		Cases:      faninCases,
		Run:        runFanin,
	})
	Register(Scenario{
		Name:       "memcpy",
		Doc:        "single-process copy bandwidth: the limit for large messages",
		Kind:       Throughput,
		Transports: []string{"memcpy"},
		Cases:      memcpyCases,
		Run:        runMemcpy,
	})
	// The scenarios of the packages above ring, each in its own file.
	Register(lockScenario)
	Register(valueScenario)
	Register(dictScenario)
	Register(poolTrivialScenario)
	Register(poolCPUScenario)
	Register(spawnScenario)
}
