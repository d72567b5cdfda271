package bench

import (
	"context"
	"syscall"
	"testing"

	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// BenchmarkStreamCost: the CPU cost per 64-byte message of the zero-copy
// stream's two halves, run alternately on one goroutine (no second core,
// no coherence misses: what each message costs the sender plus the
// receiver), by API and by check. ns/op is per message.
func BenchmarkStreamCost(b *testing.B) {
	const size, batch = 64, 32
	ctx := context.Background()
	words := func(p []byte, seq uint64) { fillWords(p, seq) }
	table := func(p []byte, seq uint64) { fillTable(p, seq) }
	checkW := func(p []byte, seq uint64) error {
		if wordsDiffer(p, seq) {
			return ErrCorrupt
		}
		return nil
	}
	for _, tc := range []struct {
		name  string
		batch bool
		run   bool // check each run at once (runDiffers)
		fill  func([]byte, uint64)
		check func([]byte, uint64) error
	}{
		{"reserve-readbatch/table", false, false, table, checkTable},
		{"reserve-readbatch/words", false, false, words, checkW},
		{"reservebatch-peekbatch/table", true, false, table, checkTable},
		{"reservebatch-peekbatch/words", true, false, words, checkW},
		{"reservebatch-peekbatch/run", true, true, words, checkW},
	} {
		b.Run(tc.name, func(b *testing.B) {
			seg, err := shm.Anonymous(2<<20, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer seg.Close()
			r, err := ring.NewRing(seg, "cost", &ring.Options{Capacity: 64 << 10})
			if err == nil {
				err = r.Populate()
			}
			if err != nil {
				b.Fatal(err)
			}
			var seq, got uint64
			var bad error
			fn := func(rec []byte) {
				if err := tc.check(rec, got); err != nil {
					bad = err
				}
				got++
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			defer func() { b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/msg") }()
			for n := 0; n < b.N; n += batch {
				if tc.batch {
					for done := 0; done < batch; {
						v, err := r.ReserveBatch(ctx, batch-done, size)
						if err != nil {
							b.Fatal(err)
						}
						for i := range v.Len() {
							tc.fill(v.At(i), seq)
							seq++
						}
						done += v.Len()
					}
					r.Commit()
					for done := 0; done < batch; {
						v, err := r.PeekBatch(ctx, batch-done)
						if err != nil {
							b.Fatal(err)
						}
						if tc.run {
							if runDiffers(v.Bytes(), v.Len(), size, v.Stride(), got) {
								b.Fatal("run differs")
							}
							got += uint64(v.Len())
							done += v.Len()
							continue
						}
						for i := range v.Len() {
							if err := tc.check(v.At(i), got); err != nil {
								b.Fatal(err)
							}
							got++
						}
						done += v.Len()
					}
					r.Release()
					continue
				}
				for range batch {
					p, err := r.Reserve(ctx, size)
					if err != nil {
						b.Fatal(err)
					}
					tc.fill(p, seq)
					seq++
				}
				r.Commit()
				for done := 0; done < batch; {
					k, err := r.ReadBatch(ctx, batch-done, fn)
					if err != nil || bad != nil {
						b.Fatal(err, bad)
					}
					done += k
				}
			}
		})
	}
}

// cpuTime is this process's user+system CPU time in ns: under other load on
// the machine it counts only what the benchmark itself ran.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
