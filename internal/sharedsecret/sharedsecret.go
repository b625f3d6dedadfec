// Package sharedsecret proves, once per connection, that the dialing side
// holds the deployment's shared secret (alluxio.security.authentication.type
// =SECRET). The master sends a fresh random challenge and the client answers
// with an HMAC-SHA256 of it under the secret, so an answer seen on the wire
// is worth nothing on any other connection: it cannot be replayed. The
// secret itself never crosses the network. It does not encrypt: without TLS
// an attacker on the path can still read or alter what follows the proof.
package sharedsecret

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// magic opens every handshake; a master that reads anything else (an HTTP/2
// preface) knows the client did not try to authenticate.
var magic = []byte("HALOAUTH1\n")

const (
	challengeSize = 32
	proofSize     = sha256.Size
	// MinSecretBytes keeps secrets long enough not to be guessed.
	MinSecretBytes = 16
	// handshakeTimeout bounds how long either side waits for the other.
	handshakeTimeout = 10 * time.Second
)

// ErrWrongSecret is returned (and recorded) when a client's proof does not
// match the master's secret.
var ErrWrongSecret = errors.New("the client's proof does not match this master's shared secret")

// ErrNoProof is recorded for a client that did not start the handshake.
var ErrNoProof = errors.New("the client did not prove it holds the shared secret")

// ReadFile loads a secret: the file's bytes with surrounding white space
// removed, at least MinSecretBytes long.
func ReadFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	secret := bytes.TrimSpace(raw)
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("secret file %s holds %d bytes; at least %d are needed", path, len(secret), MinSecretBytes)
	}
	return secret, nil
}

func proof(secret, challenge []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(magic)
	mac.Write(challenge)
	return mac.Sum(nil)
}

// Prove runs the client side on conn: it announces the handshake, reads the
// master's challenge and answers it.
func Prove(conn net.Conn, secret []byte) error {
	if err := conn.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return err
	}
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write(magic); err != nil {
		return fmt.Errorf("shared-secret handshake: %w", err)
	}
	challenge := make([]byte, challengeSize)
	if _, err := io.ReadFull(conn, challenge); err != nil {
		return fmt.Errorf("shared-secret handshake: no challenge from %s (does it run with alluxio.security.authentication.type=SECRET?): %w", conn.RemoteAddr(), err)
	}
	if _, err := conn.Write(proof(secret, challenge)); err != nil {
		return fmt.Errorf("shared-secret handshake: %w", err)
	}
	return nil
}

// Verify runs the master side on conn. It returns the connection to go on
// with (holding any bytes it read ahead) and the outcome: nil when the
// client proved the secret, ErrNoProof when it did not try, ErrWrongSecret
// when its proof was wrong. Other errors mean the connection failed.
func Verify(conn net.Conn, secret []byte) (next net.Conn, refusal error, err error) {
	if err := conn.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return nil, nil, err
	}
	defer conn.SetDeadline(time.Time{})
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(conn, head); err != nil {
		return nil, nil, fmt.Errorf("shared-secret handshake from %s: %w", conn.RemoteAddr(), err)
	}
	if !bytes.Equal(head, magic) {
		return &prefixedConn{Conn: conn, prefix: head}, ErrNoProof, nil
	}
	challenge := make([]byte, challengeSize)
	if _, err := rand.Read(challenge); err != nil {
		return nil, nil, err
	}
	if _, err := conn.Write(challenge); err != nil {
		return nil, nil, fmt.Errorf("shared-secret handshake with %s: %w", conn.RemoteAddr(), err)
	}
	answer := make([]byte, proofSize)
	if _, err := io.ReadFull(conn, answer); err != nil {
		return nil, nil, fmt.Errorf("shared-secret handshake from %s: %w", conn.RemoteAddr(), err)
	}
	if !hmac.Equal(answer, proof(secret, challenge)) {
		return conn, ErrWrongSecret, nil
	}
	return conn, nil, nil
}

// prefixedConn gives back the bytes Verify read before it knew the client
// was not authenticating.
type prefixedConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixedConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
