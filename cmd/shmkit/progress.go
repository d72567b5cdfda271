package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/shmkit/shmkit/bench"
)

// progress reports a bench run on stderr. On a terminal it keeps one line
// that rewrites itself — the case under way, how many are done, the time
// spent and an estimate of the time left — redrawn every second. Anywhere
// else (CI, a file) it writes one line per case when the case ends, with
// its headline figure, so that a log shows the run moving and where it
// stopped.
type progress struct {
	w    io.Writer
	live bool

	mu   sync.Mutex
	last bench.Progress
	at   time.Time // when last came
	seen bool
	stop chan struct{}
	done sync.WaitGroup
}

func newProgress(w io.Writer, live bool) *progress {
	p := &progress{w: w, live: live, stop: make(chan struct{})}
	if live {
		p.done.Add(1)
		go p.tick()
	}
	return p
}

// update is bench.Options.Progress.
func (p *progress) update(pr bench.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last, p.at, p.seen = pr, time.Now(), true
	switch {
	case p.live:
		p.drawLocked()
	case pr.Result != nil:
		fmt.Fprintf(p.w, "shmkit bench: [%s] %s: %s\n", position(pr, 0), caseName(pr), pr.Result.Summary())
	}
}

// tick redraws the live line every second, so that the clock moves during
// a long case.
func (p *progress) tick() {
	defer p.done.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			if p.seen {
				p.drawLocked()
			}
			p.mu.Unlock()
		}
	}
}

func (p *progress) drawLocked() {
	what := caseName(p.last)
	if p.last.Result != nil {
		what += ": " + p.last.Result.Summary()
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%s] %s", position(p.last, time.Since(p.at)), what)
}

// close stops the live line and clears it.
func (p *progress) close() {
	close(p.stop)
	p.done.Wait()
	if p.live {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// position is "12/97 0:42, ~2:10 left", the clock moved on by since (the
// live line's time since the last update: the estimate runs down with it).
func position(pr bench.Progress, since time.Duration) string {
	elapsed, left := pr.Elapsed+since, max(pr.Left-since, 0)
	s := fmt.Sprintf("%d/%d %s", pr.Done, pr.Total, fmtElapsed(elapsed))
	if pr.Done > 0 && pr.Done < pr.Total {
		s += ", ~" + fmtElapsed(left) + " left"
	}
	return s
}

// caseName is "stream shm-spsc-spin 64 B ×32", with the round when
// there are several.
func caseName(pr bench.Progress) string {
	s := pr.Case.Name()
	if pr.Round > 0 {
		s += fmt.Sprintf(" (round %d)", pr.Round+1)
	}
	return s
}

// fmtElapsed writes a duration as m:ss, or h:mm:ss.
func fmtElapsed(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
