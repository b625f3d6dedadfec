package testcluster

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/server"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

var (
	secretOnce sync.Once
	secret     []byte
)

// Secret is the shared secret of every master this test process starts
// (alluxio.security.authentication.type=SECRET is their default).
func Secret() []byte {
	secretOnce.Do(func() {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		secret = []byte(hex.EncodeToString(b))
	})
	return secret
}

// Credentials are gRPC transport credentials that prove Secret, for tests
// that call a master's RPC port without the client package.
func Credentials() credentials.TransportCredentials {
	return sharedsecret.NewCredentials(insecure.NewCredentials(), Secret())
}

// authentication is the master's alluxio.security.authentication.type.
func (m *Master) authentication() server.Authentication {
	return server.Authentication(m.Props["alluxio.security.authentication.type"])
}

// WebURL is the URL of path on the master's web port: https in
// CERTIFICATE mode, where the web port speaks TLS.
func (m *Master) WebURL(path string) string {
	scheme := "http"
	if m.authentication() == server.AuthCertificate {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(m.Host, strconv.Itoa(m.WebPort)) + path
}

// WebClient is an HTTP client for the master's web port: it presents the
// master's certificate in CERTIFICATE mode and signs requests with the
// secret in SECRET mode, so operator endpoints answer it.
func (m *Master) WebClient() (*http.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if cert := m.Props["halo.security.tls.cert.file"]; cert != "" {
		_, clientCfg, err := server.LoadTLS(server.TLSFiles{Cert: cert, Key: m.Props["halo.security.tls.key.file"], CA: m.Props["halo.security.tls.ca.file"]})
		if err != nil {
			return nil, err
		}
		transport.TLSClientConfig = clientCfg
	}
	var rt http.RoundTripper = transport
	if m.authentication() == server.AuthSecret {
		rt = signingTransport{next: transport, secret: Secret()}
	}
	return &http.Client{Transport: rt, Timeout: 10 * time.Second}, nil
}

type signingTransport struct {
	next   http.RoundTripper
	secret []byte
}

func (s signingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	sharedsecret.SignRequest(req, s.secret, time.Now())
	return s.next.RoundTrip(req)
}
