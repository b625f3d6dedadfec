package sharedsecret

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var secret = []byte("sixteen bytes or more of secret")

// handshake runs Prove (when prove is set) or a plain write of preface on
// one end of a pipe and Verify on the other, and returns Verify's outcome
// and what the master side then reads.
func handshake(t *testing.T, prove []byte, preface string) (rest string, refusal error) {
	t.Helper()
	client, master := net.Pipe()
	defer client.Close()
	defer master.Close()
	sent := make(chan error, 1)
	go func() {
		var err error
		if prove != nil {
			err = Prove(client, prove)
		}
		if err == nil {
			_, err = client.Write([]byte(preface))
		}
		client.Close()
		sent <- err
	}()
	next, refusal, err := Verify(master, secret)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	got, _ := io.ReadAll(next)
	if err := <-sent; err != nil {
		t.Fatalf("client side: %v", err)
	}
	return string(got), refusal
}

func TestHandshake(t *testing.T) {
	if rest, refusal := handshake(t, secret, "PRI * HTTP/2.0"); refusal != nil || rest != "PRI * HTTP/2.0" {
		t.Errorf("right secret: refusal %v, then %q", refusal, rest)
	}
	if _, refusal := handshake(t, []byte("another secret of enough length"), "x"); !errors.Is(refusal, ErrWrongSecret) {
		t.Errorf("wrong secret: refusal %v, want ErrWrongSecret", refusal)
	}
	// A client that does not authenticate loses none of its bytes: the
	// master reads them as the start of the HTTP/2 connection.
	if rest, refusal := handshake(t, nil, "PRI * HTTP/2.0\r\n\r\nSM"); !errors.Is(refusal, ErrNoProof) || rest != "PRI * HTTP/2.0\r\n\r\nSM" {
		t.Errorf("no handshake: refusal %v, then %q", refusal, rest)
	}
}

func TestReadFileWantsLongSecret(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("  tiny\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(short); err == nil {
		t.Error("a 4-byte secret was accepted")
	}
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, append(append([]byte{}, secret...), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(good); err != nil || string(got) != string(secret) {
		t.Errorf("ReadFile = %q, %v", got, err)
	}
}

func TestSignedWebRequest(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	req, _ := http.NewRequest(http.MethodGet, "http://m/checkpoint/digest", nil)
	SignRequest(req, secret, now)
	if err := VerifyRequest(req, secret, now.Add(30*time.Second)); err != nil {
		t.Errorf("signed request: %v", err)
	}
	if err := VerifyRequest(req, secret, now.Add(2*WebWindow)); err == nil {
		t.Error("a request signed two windows ago was accepted")
	}
	if err := VerifyRequest(req, []byte("another secret of enough length"), now); !errors.Is(err, ErrWrongSecret) {
		t.Errorf("request checked with another secret: %v", err)
	}
	other, _ := http.NewRequest(http.MethodGet, "http://m/other", nil)
	other.Header = req.Header
	if err := VerifyRequest(other, secret, now); err == nil {
		t.Error("a signature for /checkpoint/digest was accepted for /other")
	}
	unsigned, _ := http.NewRequest(http.MethodGet, "http://m/checkpoint/digest", nil)
	if err := VerifyRequest(unsigned, secret, now); err == nil {
		t.Error("an unsigned request was accepted")
	}
}

func TestLoginTokenAndSession(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	other := []byte("fedcba98765432100123")
	now := time.UnixMilli(1_700_000_000_000)

	token := LoginToken(secret, now)
	if err := VerifyLoginToken(token, secret, now.Add(30*time.Second)); err != nil {
		t.Fatalf("a fresh token: %v", err)
	}
	for what, err := range map[string]error{
		"another secret":     VerifyLoginToken(token, other, now),
		"two minutes later":  VerifyLoginToken(token, secret, now.Add(2*time.Minute)),
		"malformed":          VerifyLoginToken("abc", secret, now),
		"a request's header": VerifyLoginToken(strings.TrimPrefix(signedHeader(secret, "GET", "/browse", now), webScheme+" "), secret, now),
	} {
		if err == nil {
			t.Errorf("token with %s accepted", what)
		}
	}

	session := NewSession(secret, now)
	if err := VerifySession(session, secret, now.Add(SessionLifetime-time.Second)); err != nil {
		t.Fatalf("a session before it expires: %v", err)
	}
	expires, sig, _ := strings.Cut(session, ":")
	for what, err := range map[string]error{
		"another secret": VerifySession(session, other, now),
		"expired":        VerifySession(session, secret, now.Add(SessionLifetime)),
		"extended":       VerifySession(expires+"9:"+sig, secret, now),
		"malformed":      VerifySession("x", secret, now),
	} {
		if err == nil {
			t.Errorf("session %s accepted", what)
		}
	}
}

func signedHeader(secret []byte, method, path string, now time.Time) string {
	req, _ := http.NewRequest(method, "http://m1:19999"+path, nil)
	SignRequest(req, secret, now)
	return req.Header.Get("Authorization")
}
