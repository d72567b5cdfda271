package remote

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"time"
)

// The handshake: mutual HMAC-SHA256 challenge-response on the shared key,
// before any request is read.
//
//	server → client  "SHMKITM1" | server nonce (32 random bytes)
//	client → server  client nonce (32) | HMAC(key, "client" | sNonce | cNonce)
//	server → client  1 | HMAC(key, "server" | cNonce | sNonce)   (accepted)
//	                 0, then close                              (refused)
//
// The server compares the client's MAC with hmac.Equal (constant time) and
// serves nothing to a client that fails; the client checks the server's
// MAC the same way, so it never talks to a server that lacks the key. The
// key itself never crosses the wire, and nothing logged contains it. Both
// sides bound the handshake with a deadline.
const (
	authMagic = "SHMKITM1"
	nonceSize = 32
	macSize   = sha256.Size
	// DefaultHandshakeTimeout bounds the handshake.
	DefaultHandshakeTimeout = 10 * time.Second
)

func mac(key []byte, label string, a, b []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(label))
	h.Write(a)
	h.Write(b)
	return h.Sum(nil)
}

func nonce() ([]byte, error) {
	n := make([]byte, nonceSize)
	_, err := rand.Read(n)
	return n, err
}

// serverHandshake authenticates the client on c; ErrAuth when it fails.
func serverHandshake(c net.Conn, key []byte, timeout time.Duration) error {
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	sn, err := nonce()
	if err != nil {
		return err
	}
	if _, err := c.Write(append([]byte(authMagic), sn...)); err != nil {
		return err
	}
	var in [nonceSize + macSize]byte
	if _, err := io.ReadFull(c, in[:]); err != nil {
		return fmt.Errorf("reading the client's answer: %v: %w", err, ErrAuth)
	}
	cn := in[:nonceSize]
	if !hmac.Equal(in[nonceSize:], mac(key, "client", sn, cn)) {
		c.Write([]byte{0})
		return fmt.Errorf("client answered the challenge with a wrong MAC: %w", ErrAuth)
	}
	_, err = c.Write(append([]byte{1}, mac(key, "server", cn, sn)...))
	return err
}

// clientHandshake authenticates to the server on c and checks the server.
func clientHandshake(c net.Conn, key []byte, deadline time.Time) error {
	c.SetDeadline(deadline)
	defer c.SetDeadline(time.Time{})
	var hello [len(authMagic) + nonceSize]byte
	if _, err := io.ReadFull(c, hello[:]); err != nil {
		return fmt.Errorf("reading the server's challenge: %v: %w", err, ErrAuth)
	}
	if string(hello[:len(authMagic)]) != authMagic {
		return fmt.Errorf("the server is not a shmkit manager: %w", ErrAuth)
	}
	sn := hello[len(authMagic):]
	cn, err := nonce()
	if err != nil {
		return err
	}
	if _, err := c.Write(append(cn, mac(key, "client", sn, cn)...)); err != nil {
		return err
	}
	var reply [1 + macSize]byte
	if _, err := io.ReadFull(c, reply[:1]); err != nil {
		return fmt.Errorf("reading the server's verdict: %v: %w", err, ErrAuth)
	}
	if reply[0] != 1 {
		return fmt.Errorf("the server refused the key: %w", ErrAuth)
	}
	if _, err := io.ReadFull(c, reply[1:]); err != nil {
		return fmt.Errorf("reading the server's proof: %v: %w", err, ErrAuth)
	}
	if !hmac.Equal(reply[1:], mac(key, "server", cn, sn)) {
		return fmt.Errorf("the server does not know the key: %w", ErrAuth)
	}
	return nil
}
