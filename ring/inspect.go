package ring

import "github.com/shmkit/shmkit/internal/owner"

// Participants counts the entries of the queue's participant table that
// processes hold: alive, those whose process runs (this one included), and
// dead, those of processes that died holding one. A dead entry stays until
// the next process that needs an entry repairs what it held and takes it
// over (claimEntry): a count that stays above zero means no process has
// joined since. It reads the table without taking anything, for `shmkit
// top`.
func (q *MPMC) Participants() (alive, dead int) {
	for i := range q.nparts {
		id := q.entry(i).id.Load()
		switch {
		case id == 0:
		case owner.Alive(id):
			alive++
		default:
			dead++
		}
	}
	return alive, dead
}
