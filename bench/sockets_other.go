//go:build !linux

package bench

// The kernel transports (pipes with pipe2, socketpairs, TCP loopback) use
// Linux system calls; elsewhere they are not registered, and the scenarios
// run without them (and without their baselines).
