package natscluster

import (
	"fmt"
	"strings"

	"github.com/shmkit/shmkit/manager"
)

// NATS keys are subject tokens: letters, digits and - / _ = . only, no
// empty token. A Dict's keys are any bytes, so they are escaped: the
// letters, digits, '-', '_' and '/' stand for themselves, every other
// byte (the dot, '=', spaces, UTF-8…) is '=' and two upper-case hex
// digits, and the empty key is "=" alone (no escape ends there). So the
// escape is one to one, and a key that needs none is the same in NATS,
// where other clients (nats kv get) read it as it is.
const escapeChar = '='

// maxKey bounds an escaped key: it travels in a subject, which the server
// limits to its control line (4 KiB), with the bucket's prefix.
const maxKey = 3072

func plainKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '/'
}

// escapeKey returns key as a NATS key.
func escapeKey(key string) (string, error) {
	if key == "" {
		return string(escapeChar), nil
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		if c := key[i]; plainKeyByte(c) {
			b.WriteByte(c)
		} else {
			const hex = "0123456789ABCDEF"
			b.Write([]byte{escapeChar, hex[c>>4], hex[c&15]})
		}
	}
	if b.Len() > maxKey {
		return "", fmt.Errorf("key of %d bytes is %d escaped, over %d: %w", len(key), b.Len(), maxKey, manager.ErrTooLarge)
	}
	return b.String(), nil
}

// unescapeKey reverses escapeKey. Bytes escapeKey never leaves alone (a
// dot, say, in a key another client wrote) are kept as they are; an '='
// without two hex digits after it is an error.
func unescapeKey(k string) (string, error) {
	if k == string(escapeChar) {
		return "", nil
	}
	if strings.IndexByte(k, escapeChar) < 0 {
		return k, nil
	}
	b := make([]byte, 0, len(k))
	for i := 0; i < len(k); i++ {
		if k[i] != escapeChar {
			b = append(b, k[i])
			continue
		}
		hi, lo := unhex(k, i+1), unhex(k, i+2)
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("NATS key %q: %q at %d is not an escape", k, escapeChar, i)
		}
		b = append(b, byte(hi<<4|lo))
		i += 2
	}
	return string(b), nil
}

func unhex(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch c := s[i]; {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
