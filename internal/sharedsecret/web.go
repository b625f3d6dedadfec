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
	stamp, sig, ok := strings.Cut(value, ":")
	ms, err := strconv.ParseInt(stamp, 10, 64)
	if !ok || err != nil {
		return errors.New("malformed " + webScheme + " Authorization header")
	}
	if skew := now.Sub(time.UnixMilli(ms)); skew > WebWindow || skew < -WebWindow {
		return fmt.Errorf("signed at %s, more than %s from this master's clock", time.UnixMilli(ms).UTC().Format(time.RFC3339), WebWindow)
	}
	if !hmac.Equal([]byte(sig), []byte(webSignature(secret, req.Method, req.URL.Path, ms))) {
		return ErrWrongSecret
	}
	return nil
}
