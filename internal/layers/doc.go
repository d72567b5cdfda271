// Package layers holds no code: it exists for its test, which pins the
// layering of docs/architecture.md. The test lists every package of the
// module with `go list -deps -json` (for Linux and for a non-Linux build)
// and fails when one imports, directly or not, a shmkit package above it,
// a package the table does not place, or a cluster, NATS or metrics
// package from the core.
//
// A new package, or a new import between layers, is a change to the table
// in layers_test.go and to docs/architecture.md, made on purpose.
package layers
