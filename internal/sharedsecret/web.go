package sharedsecret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// webScheme names the Authorization scheme of signed web requests.
const webScheme = "Halo-Secret"

// WebWindow is how far a signed web request's time may be from the
// master's clock. A captured request can be replayed within it; the web
// port's operator endpoints only read, so that buys an attacker nothing
// the signer could not see.
const WebWindow = time.Minute

func webSignature(secret []byte, method, path string, ms int64) string {
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "halo-web-v1\n%s\n%s\n%d", method, path, ms)
	return hex.EncodeToString(mac.Sum(nil))
}

// SignRequest adds the Authorization header the master's operator web
// endpoints require in SECRET mode.
func SignRequest(req *http.Request, secret []byte, now time.Time) {
	ms := now.UnixMilli()
	req.Header.Set("Authorization", fmt.Sprintf("%s %d:%s", webScheme, ms, webSignature(secret, req.Method, req.URL.Path, ms)))
}

// VerifyRequest checks a request signed by SignRequest.
func VerifyRequest(req *http.Request, secret []byte, now time.Time) error {
	value, ok := strings.CutPrefix(req.Header.Get("Authorization"), webScheme+" ")
	if !ok {
		return errors.New("no " + webScheme + " Authorization header")
	}
	return verifySigned(value, secret, req.Method, req.URL.Path, now)
}

// verifySigned checks "<unix ms>:<signature>" of method and path, made
// within WebWindow of now.
func verifySigned(value string, secret []byte, method, path string, now time.Time) error {
	stamp, sig, ok := strings.Cut(value, ":")
	ms, err := strconv.ParseInt(stamp, 10, 64)
	if !ok || err != nil {
		return errors.New("malformed " + webScheme + " signature")
	}
	if skew := now.Sub(time.UnixMilli(ms)); skew > WebWindow || skew < -WebWindow {
		return fmt.Errorf("signed at %s, more than %s from this master's clock", time.UnixMilli(ms).UTC().Format(time.RFC3339), WebWindow)
	}
	if !hmac.Equal([]byte(sig), []byte(webSignature(secret, method, path, ms))) {
		return ErrWrongSecret
	}
	return nil
}

// A browser cannot sign each request, so an operator opens a login link
// instead: LoginPath with a token that signs GET LoginPath as SignRequest
// would, good for WebWindow. The master answers it with a session cookie
// of its own signature, good for SessionLifetime, which any master of the
// deployment (they share the secret) accepts. Like the signed header, it
// authenticates without encrypting: without TLS, whoever sees the cookie
// can read the operator pages until it expires.

// LoginPath is where a browser trades a login link for a session.
const LoginPath = "/login"

// SessionLifetime is how long a session opened by a login link lasts.
const SessionLifetime = 12 * time.Hour

// LoginToken is the token of a login link made at now.
func LoginToken(secret []byte, now time.Time) string {
	ms := now.UnixMilli()
	return fmt.Sprintf("%d:%s", ms, webSignature(secret, http.MethodGet, LoginPath, ms))
}

// VerifyLoginToken checks a token made by LoginToken.
func VerifyLoginToken(token string, secret []byte, now time.Time) error {
	return verifySigned(token, secret, http.MethodGet, LoginPath, now)
}

func sessionSignature(secret []byte, expiresMs int64) string {
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "halo-web-session-v1\n%d", expiresMs)
	return hex.EncodeToString(mac.Sum(nil))
}

// NewSession is the value of a session cookie opened at now.
func NewSession(secret []byte, now time.Time) string {
	expires := now.Add(SessionLifetime).UnixMilli()
	return fmt.Sprintf("%d:%s", expires, sessionSignature(secret, expires))
}

// VerifySession checks a session made by NewSession that has not expired.
func VerifySession(value string, secret []byte, now time.Time) error {
	stamp, sig, ok := strings.Cut(value, ":")
	expires, err := strconv.ParseInt(stamp, 10, 64)
	if !ok || err != nil {
		return errors.New("malformed session")
	}
	if !hmac.Equal([]byte(sig), []byte(sessionSignature(secret, expires))) {
		return ErrWrongSecret
	}
	if at := time.UnixMilli(expires); !now.Before(at) {
		return fmt.Errorf("the session expired at %s; open a new login link", at.UTC().Format(time.RFC3339))
	}
	return nil
}
