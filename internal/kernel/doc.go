// Package kernel is shmkit's one way into the Linux kernel: the only package
// of the module that imports golang.org/x/sys/unix.
//
// It wraps, with Go types, what the rest of shmkit needs and the standard
// library lacks: futex wait and wake on a 32-bit word in shared memory
// (the shared, non-PRIVATE operations, since the private ones do not cross
// processes), memfd creation with sealing, tmpfs free-space checks and
// preallocation, process liveness by pid plus start time (pid reuse cannot
// make a dead lock owner look alive), and the parent-death signal.
//
// On systems other than Linux every function exists and returns an error
// wrapping errors.ErrUnsupported, so the module compiles everywhere and fails
// clearly at run time.
package kernel
