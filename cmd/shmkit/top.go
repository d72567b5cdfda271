package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shmkit/shmkit/shm"
)

const topAbout = `Watches a segment: every object with its live state, and for rings and
queues their depth and rates (messages in and out per second, waits for
room or data per second, from the counters between two refreshes), a
queue's participants alive and dead, a lock's holder and sleepers, and the
processes that map the segment.

On a terminal the view is redrawn in place until q or Ctrl-C (exit status
0). Anywhere else (a pipe, a file, a script) it prints plain frames, one
per interval, until interrupted; --once or -n COUNT stop after one or
COUNT frames. Every frame's rates cover the interval before it, so the
first frame comes one interval after the start (on a terminal a first
view without rates is drawn at once).

A pool's rings live in its own anonymous segment (a memfd), which has no
name to watch.`

func topMain(args []string, stdout, stderr io.Writer) int {
	c := newCommand("top", "shmkit top [--interval D] [--once | -n COUNT] NAME", topAbout)
	every := c.fs.Duration("interval", time.Second, "time between refreshes: `D` such as 500ms, 2s")
	c.fs.DurationVar(every, "i", time.Second, "short for --interval")
	once := c.fs.Bool("once", false, "print one frame (after one interval, for its rates) and exit")
	count := c.fs.Int("n", 0, "print `COUNT` frames and exit (0: until q, Ctrl-C or SIGTERM)")
	ops, code, done := c.parse(args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case len(ops) != 1:
		return c.usageError(stderr, "name one segment")
	case *every < 10*time.Millisecond:
		return c.usageError(stderr, fmt.Sprintf("--interval %v: must be at least 10ms", *every))
	case *count < 0:
		return c.usageError(stderr, fmt.Sprintf("-n %d: must be at least 1 (or 0, the default: until stopped)", *count))
	case *once && *count > 1:
		return c.usageError(stderr, "--once and -n: give one of them")
	}
	if *once {
		*count = 1
	}
	s, err := shm.Open(ops[0])
	if err != nil {
		fmt.Fprintln(stderr, "shmkit top:", err)
		return 1
	}
	defer s.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, live := stdout, false
	if f, ok := stdout.(*os.File); ok && *count == 0 && isTerminal(f) {
		live = true
		var restore func()
		ctx, restore = watchKeys(ctx)
		defer restore()
	}
	w := newTopWatcher(s)
	if live {
		return w.live(ctx, out.(*os.File), *every)
	}
	return w.plain(ctx, out, *every, *count)
}

// plain prints a frame every interval, count of them (0: until ctx ends).
func (w *topWatcher) plain(ctx context.Context, out io.Writer, every time.Duration, count int) int {
	prev := w.sample()
	t := time.NewTicker(every)
	defer t.Stop()
	for n := 0; count == 0 || n < count; n++ {
		select {
		case <-ctx.Done():
			return 0
		case <-t.C:
		}
		cur := w.sample()
		if n > 0 {
			fmt.Fprintln(out)
		}
		for _, l := range w.frame(prev, cur, every) {
			fmt.Fprintln(out, l)
		}
		prev = cur
	}
	return 0
}

// live redraws the view in place on the terminal f until ctx ends: the
// cursor goes home, each line clears the rest of its row, and the rows
// below the last are cleared, so nothing flickers. Lines are cut to the
// terminal's width, so that none wraps and scrolls the view.
func (w *topWatcher) live(ctx context.Context, f *os.File, every time.Duration) int {
	const home, clearLine, clearBelow = "\x1b[H", "\x1b[K", "\x1b[J"
	fmt.Fprint(f, home+"\x1b[2J")
	prev := w.sample()
	draw := func(prev, cur *topSample) {
		cols, rows := termSize(f)
		buf := []byte(home)
		for i, l := range w.frame(prev, cur, every) {
			if rows > 0 && i >= rows-1 {
				break
			}
			buf = append(buf, cut(l, cols-1)...)
			buf = append(buf, clearLine+"\r\n"...)
		}
		buf = append(buf, clearBelow...)
		f.Write(buf)
	}
	draw(nil, prev)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-t.C:
		}
		cur := w.sample()
		draw(prev, cur)
		prev = cur
	}
}

// cut shortens s to n characters (runes), when n > 0.
func cut(s string, n int) string {
	if n <= 0 {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// watchKeys returns a context that also ends when q is typed on the
// terminal on stdin, which it puts into key-at-a-time mode (Ctrl-C still
// interrupts); restore puts the terminal back.
func watchKeys(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	if !isTerminal(os.Stdin) {
		return ctx, cancel
	}
	restoreTerm, err := keysMode(os.Stdin)
	if err != nil {
		return ctx, cancel
	}
	go func() {
		b := make([]byte, 16)
		for {
			n, err := os.Stdin.Read(b)
			for _, c := range b[:n] {
				if c == 'q' || c == 'Q' || c == 3 { // 3: Ctrl-C, should the terminal pass it on
					cancel()
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ctx, func() {
		cancel()
		restoreTerm()
	}
}
