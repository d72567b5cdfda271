package process_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/process"
)

// shout is a codec that only its own Decode understands: a task whose
// results come back through it proves both ends used the task's codec.
type shout struct{}

func (shout) Encode(_ []byte, v string) ([]byte, error) { return []byte("!" + strings.ToUpper(v)), nil }
func (shout) Decode(b []byte) (string, error) {
	s, ok := strings.CutPrefix(string(b), "!")
	if !ok {
		return "", errors.New("not a shout")
	}
	return s, nil
}

type greeting struct {
	Name  string
	Times int
}

var greet = process.Register("test.greet", func(ctx context.Context, g greeting) (string, error) {
	return strings.Repeat("hello "+g.Name+" ", g.Times), nil
}).WithCodecs(codec.JSON[greeting]{}, shout{})

// A task's own codecs carry its argument to the child and its result back.
func TestTaskCodecs(t *testing.T) {
	ctx := testutil.Context(t)
	got, err := process.Run(ctx, greet, greeting{"go", 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := "HELLO GO HELLO GO "; got != want {
		t.Fatalf("Run = %q, want %q (through the task's codecs)", got, want)
	}
	b, err := greet.EncodeArg(greeting{"x", 1})
	if err != nil || string(b) != `{"Name":"x","Times":1}` {
		t.Fatalf("EncodeArg = %s, %v; want the JSON codec's bytes", b, err)
	}
}
