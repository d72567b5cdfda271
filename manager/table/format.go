package table

import (
	"encoding/binary"
	"fmt"

	"github.com/shmkit/shmkit/shm"
)

// fmt.Stringer for the proxies: the object's name and size, read without
// a lock, never the contents (a table may hold a million entries). What
// is printed can be stale by the time it is read; a lock held by a stopped
// process never makes String wait.

// String describes d as `Dict "squares" (3 keys)`.
func (d *Dict) String() string {
	n := d.t.stats().Entries
	return fmt.Sprintf("%s %q (%s)", kindTitle(d.t), d.Name(), plural(n, "key"))
}

// String describes l as `List "chars" (6 elements)`; the count is left
// out if a writer kept changing it while String looked.
func (l *List) String() string {
	if n, ok := l.peekLen(); ok {
		return fmt.Sprintf("List %q (%s)", l.Name(), plural(n, "element"))
	}
	return fmt.Sprintf("List %q", l.Name())
}

// peekLen reads the length record without the lock.
func (l *List) peekLen() (int, bool) {
	v, found, ok := l.t.peek(listLenKey, nil)
	switch {
	case !ok:
		return 0, false
	case !found:
		return 0, true
	case len(v) != 8 || binary.BigEndian.Uint64(v) > l.t.l.entries:
		return 0, false
	}
	return int(binary.BigEndian.Uint64(v)), true
}

func kindTitle(t *table) string {
	switch t.obj.Kind() {
	case shm.KindDict:
		return "Dict"
	case shm.KindNamespace:
		return "Namespace"
	}
	return t.obj.Kind().String()
}

// plural writes "1 key", "3 keys".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
