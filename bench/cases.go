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

// skipReason returns why transport name cannot run here, or "".
func skipReason(name string) string {
	if t := transports[name]; t != nil && t.skip != nil {
		return t.skip()
	}
	return ""
}

func errSize(n int) error {
	return fmt.Errorf("message size %d: must be %d..%d bytes", n, MinSize, MaxSize)
}
