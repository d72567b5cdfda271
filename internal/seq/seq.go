// Package seq holds the iterator adapters more than one package needs:
// the keys, or the values, of an iter.Seq2.
package seq

import "iter"

// Keys yields the first element of each pair s yields.
func Keys[K, V any](s iter.Seq2[K, V]) iter.Seq[K] {
	return func(yield func(K) bool) {
		for k := range s {
			if !yield(k) {
				return
			}
		}
	}
}

// Values yields the second element of each pair s yields.
func Values[K, V any](s iter.Seq2[K, V]) iter.Seq[V] {
	return func(yield func(V) bool) {
		for _, v := range s {
			if !yield(v) {
				return
			}
		}
	}
}
