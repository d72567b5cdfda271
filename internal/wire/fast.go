package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Fast paths for the argument and result types tasks use most: both ends
// know the static type, so these need no type description, and a trivial
// task does not pay for a gob encoder (about a microsecond and a dozen
// allocations). Everything else goes through gob.

func encodeFast(v any) ([]byte, bool) {
	switch x := v.(type) {
	case int:
		return binary.AppendVarint(nil, int64(x)), true
	case int64:
		return binary.AppendVarint(nil, x), true
	case int32:
		return binary.AppendVarint(nil, int64(x)), true
	case uint64:
		return binary.AppendUvarint(nil, x), true
	case uint32:
		return binary.AppendUvarint(nil, uint64(x)), true
	case float64:
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(x)), true
	case bool:
		if x {
			return []byte{1}, true
		}
		return []byte{0}, true
	case string:
		return append([]byte{'s'}, x...), true
	case []byte:
		return append([]byte{'b'}, x...), true
	}
	return nil, false
}

func decodeFast(b []byte, ptr any) (bool, error) {
	bad := func() (bool, error) { return true, fmt.Errorf("malformed %T value of %d bytes", ptr, len(b)) }
	switch p := ptr.(type) {
	case *int:
		v, n := binary.Varint(b)
		if n != len(b) {
			return bad()
		}
		*p = int(v)
	case *int64:
		v, n := binary.Varint(b)
		if n != len(b) {
			return bad()
		}
		*p = v
	case *int32:
		v, n := binary.Varint(b)
		if n != len(b) || v != int64(int32(v)) {
			return bad()
		}
		*p = int32(v)
	case *uint64:
		v, n := binary.Uvarint(b)
		if n != len(b) {
			return bad()
		}
		*p = v
	case *uint32:
		v, n := binary.Uvarint(b)
		if n != len(b) || v > math.MaxUint32 {
			return bad()
		}
		*p = uint32(v)
	case *float64:
		if len(b) != 8 {
			return bad()
		}
		*p = math.Float64frombits(binary.LittleEndian.Uint64(b))
	case *bool:
		if len(b) != 1 || b[0] > 1 {
			return bad()
		}
		*p = b[0] == 1
	case *string:
		if b[0] != 's' {
			return bad()
		}
		*p = string(b[1:])
	case *[]byte:
		if b[0] != 'b' {
			return bad()
		}
		*p = append([]byte(nil), b[1:]...)
	default:
		return false, nil
	}
	return true, nil
}
