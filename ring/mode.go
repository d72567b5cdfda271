package ring

import "context"

// Mode says what a call does when it must wait for room or for data.
type Mode uint32

const (
	// Blocking (the default) spins for a short, adaptive while, then
	// sleeps in the kernel on a futex until the other side wakes it. A
	// sleeping goroutine holds its OS thread.
	Blocking Mode = 0
	// Spin never sleeps: it polls until the wait ends or the context is
	// done. Lowest latency; burns a core per waiter. On a machine with
	// fewer cores than spinners it is slower than Blocking.
	Spin Mode = 1
)

func (m Mode) String() string {
	if m == Spin {
		return "spin"
	}
	return "blocking"
}

type modeKey struct{}

// WithMode returns a context that makes the calls it is passed to wait in
// mode m, overriding the mode the ring or queue was created with.
func WithMode(ctx context.Context, m Mode) context.Context {
	return context.WithValue(ctx, modeKey{}, m)
}

// modeOf is looked up only on the slow path, when a call has to wait.
func modeOf(ctx context.Context, def Mode) Mode {
	if m, ok := ctx.Value(modeKey{}).(Mode); ok {
		return m
	}
	return def
}
