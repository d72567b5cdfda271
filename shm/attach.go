package shm

// Attacher is what every kind of shared object implements (sync, value,
// array, ring, manager): attach the receiver, in this process, to the
// object h names, checking its kind, layout version and size. Its
// UnmarshalBinary — how an object travels to a child through gob or
// process — is UnmarshalHandle with it.
type Attacher interface {
	AttachHandle(h Handle) error
}

// AttachAs attaches the object h names as a *T: the one way to turn a
// Handle into any kind of shared object, e.g.
//
//	m, err := shm.AttachAs[sync.Mutex](h)
//	q, err := shm.AttachAs[ring.Queue[Job]](h)
//
// A handle to another kind is ErrWrongKind (see Attach for the rest).
func AttachAs[T any, P interface {
	*T
	Attacher
}](h Handle) (*T, error) {
	p := P(new(T))
	if err := p.AttachHandle(h); err != nil {
		return nil, err
	}
	return (*T)(p), nil
}

// UnmarshalHandle decodes a marshalled handle and attaches a to it: the
// body of every kind's UnmarshalBinary.
func UnmarshalHandle(b []byte, a Attacher) error {
	var h Handle
	if err := h.UnmarshalBinary(b); err != nil {
		return err
	}
	return a.AttachHandle(h)
}
