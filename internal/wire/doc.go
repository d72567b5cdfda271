// Package wire is what crosses from a parent to the children of package
// process and to the workers of package pool: the table of tasks by name
// (a child is this binary re-executed, so it gets a task's name, never its
// code) and the encoding that task arguments and results travel in.
//
// It sits below both, so that process (which registers and spawns) and
// pool (whose workers run registered tasks by name, chunk after chunk)
// share one table and one encoding without pool reaching into process's
// unexported state, and without process knowing pool. Users reach it only
// through process.Register, process.Start and pool.Map and friends.
//
// Encoding, fastest first: no bytes for zero-size structs; varints, fixed
// floats and tagged strings and byte slices for the common scalar types;
// the raw bytes of plain types (internal/plain's Raw: fixed size, no
// pointers, no encoding of their own); gob for the rest. Both ends know
// the static type, so no type description travels. Decoding checks every
// length: a malformed message is an error, never a panic.
//
// A task's failure crosses as a Failure (failure.go): its error as a tree
// that mirrors the error's wrapping, with registered sentinels and types
// rebuilt as themselves and the rest as text (errors.go), and for a panic
// the frame where it happened and the stack.
package wire
