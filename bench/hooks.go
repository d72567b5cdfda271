package bench

// testHooks are the faults the package's own tests inject, to prove that
// a flipped byte fails the run and that a hung peer is killed at the
// case's bound. They live in an unexported field of Case, so no caller of
// the package can set them; they travel to a child peer beside its Case
// (peerArg.Hooks), since gob skips unexported fields.
type testHooks struct {
	// Corrupt, when > 0: the sender flips a byte of message number
	// Corrupt-1 after writing it (or the scenario's equivalent: a skipped
	// increment, a wrong task result), and the run must fail its check.
	Corrupt int
	// Hang: the child peer stops answering (pingpong, stream), or a
	// worker never finishes (lock, value, dict), so the case must end at
	// its Timeout with its peers killed.
	Hang bool
}
