//go:build !linux

package bench

import (
	"errors"
	"fmt"
)

func pinCPUs() ([2]int, error) {
	return [2]int{}, fmt.Errorf("pinning: %w", errors.ErrUnsupported)
}

func pin(on bool, which int) (unpin func(), err error) {
	if !on {
		return func() {}, nil
	}
	_, err = pinCPUs()
	return nil, err
}
