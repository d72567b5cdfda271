package owner

import (
	"os"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/leak"
)

func TestMain(m *testing.M) {
	os.Exit(leak.Main(m))
}
