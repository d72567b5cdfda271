//go:build !nats

package bench

import "context"

// Without -tags nats, the NATS rows (nats.go) are skipped with a note, so
// that the shmkit binary, which every bench peer re-executes, does not
// link a NATS server.

// natsBuilt: this build skips the NATS rows.
const natsBuilt = false

var (
	_ = addTransport(&transport{name: natsPool, run: natsOff, runs: []string{"pool-trivial"}})
	_ = addTransport(&transport{name: natsKV, run: natsOff, runs: []string{"dict"}})
)

func natsOff(_ context.Context, c Case) Result {
	r := resultFor(c)
	r.Note = "skipped: built without -tags nats (go run -tags nats ./cmd/shmkit bench)"
	return r
}
