package wire

// Recent remembers the last n keys added: an executor's worker keeps the
// chunks whose job was cancelled, since a cancel record may come before
// the chunk it names. A few hundred or thousand recent ones cover that
// race (package pool, cluster/natscluster).
type Recent[K comparable] struct {
	m    map[K]struct{}
	ring []K
	next int
}

// NewRecent returns a Recent of n keys (n > 0).
func NewRecent[K comparable](n int) *Recent[K] {
	return &Recent[K]{m: map[K]struct{}{}, ring: make([]K, n)}
}

// Has reports whether k is among the last n keys added.
func (s *Recent[K]) Has(k K) bool { _, ok := s.m[k]; return ok }

// Add adds k, forgetting the oldest key once n are held.
func (s *Recent[K]) Add(k K) {
	if s.Has(k) {
		return
	}
	delete(s.m, s.ring[s.next])
	s.ring[s.next] = k
	s.m[k] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
}
