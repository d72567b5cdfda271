package bench

import (
	"fmt"
	"time"
)

// sizesOr returns sizes, or def when sizes is empty.
func sizesOr(sizes, def []int) []int {
	if len(sizes) > 0 {
		return sizes
	}
	return def
}

func modesOf(t *transport) []string {
	if len(t.modes) == 0 {
		return []string{""}
	}
	return t.modes
}

// caseTimeout bounds one case, children included.
func caseTimeout(cfg Config) time.Duration {
	if cfg.Quick {
		return 20 * time.Second
	}
	return 60 * time.Second
}

// skipReason says why case c cannot run on its transport here, or "".
func skipReason(c Case) string {
	t := transports[c.Transport]
	if t == nil {
		return ""
	}
	if t.skip != nil {
		if r := t.skip(); r != "" {
			return r
		}
	}
	if t.faninMax > 0 && c.Scenario == "fanin" && c.Size > t.faninMax {
		return fmt.Sprintf("two writers of a byte stream keep messages whole only up to %d bytes", t.faninMax)
	}
	if t.maxDatagram > 0 && c.Size*max(c.Batch, 1) > t.maxDatagram {
		return fmt.Sprintf("datagrams of up to %d bytes: the kernel allocates each in one piece and refuses large ones (ENOBUFS)", t.maxDatagram)
	}
	return ""
}

func errSize(n int) error {
	return fmt.Errorf("message size %d: must be %d..%d bytes", n, MinSize, MaxSize)
}
