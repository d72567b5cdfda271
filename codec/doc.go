// Package codec turns Go values into bytes and back for everything in
// shmkit that carries values: ring's typed Queue, manager's TypedDict and
// Namespace, and the arguments and results of process tasks and pool
// workers. One interface, Codec[T], and a few implementations:
//
//   - Bytes and String carry []byte and string as they are.
//   - Raw[T] copies a fixed-size, pointer-free T byte for byte (NewRaw
//     refuses a type with pointers, whose bytes mean nothing in another
//     process).
//   - Gob[T] and JSON[T] encode anything encoding/gob or encoding/json can.
//   - Default[T] picks: Bytes, String, Raw for plain types without an
//     encoding of their own, Gob otherwise.
//
// Every process that exchanges values must use the same codec for them: a
// codec is not recorded in shared memory. Decode must not keep the slice it
// is given: it may point into shared memory that is reused after the call.
//
// Who reaches for it: users with their own wire format (protobuf, a
// hand-written encoding) implement Codec[T] and pass it to
// ring.Queue.WithCodec, manager.Typed or a task's WithCodecs.
package codec
