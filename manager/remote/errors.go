package remote

import "errors"

// Sentinel errors of the protocol. A remote call's error wraps one of
// these, one of package table's (ErrFull, ErrTooLarge, ErrCorrupt: a
// table's error on the server crosses the wire as a code and is the same
// value on the client), os.ErrNotExist, os.ErrExist, os.ErrInvalid,
// shm.ErrWrongKind, os.ErrClosed, io.EOF, ring's ErrFull, ErrEmpty and
// ErrTooLarge (a remote Queue's), or a context error; test with errors.Is.
// Package manager exports the same values under the same names.
var (
	// ErrAuth: the remote peer failed the HMAC challenge (wrong key), or
	// is not a shmkit manager.
	ErrAuth = errors.New("manager authentication failed")
	// ErrProtocol: a malformed frame or an unknown request.
	ErrProtocol = errors.New("manager protocol error")
	// ErrMethod: a registered type's method returned an error (its
	// message follows; Python's exception raised again in the caller). An
	// error of the method that is one of the sentinels here (io.EOF,
	// os.ErrNotExist…) crosses the wire as that sentinel instead.
	ErrMethod = errors.New("remote method failed")
)
