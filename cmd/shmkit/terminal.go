package main

import (
	"io"
	"os"

	"github.com/shmkit/shmkit/internal/kernel"
)

// isTerminal reports whether w is a terminal, where a progress line or a
// view that redraws itself belongs. A character device that is no
// terminal (/dev/null) is not one.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && kernel.IsTerminal(f)
}

// termSize returns f's width and height, 0 when unknown.
func termSize(f *os.File) (cols, rows int) {
	cols, rows, err := kernel.TermSize(f)
	if err != nil {
		return 0, 0
	}
	return cols, rows
}

// keysMode puts the terminal f into key-at-a-time mode and returns what
// restores it.
func keysMode(f *os.File) (restore func(), err error) {
	r, err := kernel.KeysMode(f)
	if err != nil {
		return nil, err
	}
	return func() { r() }, nil
}
