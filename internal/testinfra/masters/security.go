package masters

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/master/identity"
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
func (m *Master) authentication() identity.Authentication {
	return identity.Authentication(m.Props["alluxio.security.authentication.type"])
}

// WebURL is the URL of path on the master's web port: https in
// CERTIFICATE mode, where the web port speaks TLS.
func (m *Master) WebURL(path string) string {
	scheme := "http"
	if m.authentication() == identity.Certificate {
		scheme = "https"
	}
	return scheme + "://" + m.WebAddress() + path
}

// clientTLS is the client side of the master's mutual TLS, nil without
// TLS.
func (m *Master) clientTLS() (*tls.Config, error) {
	cert := m.Props["halo.security.tls.cert.file"]
	if cert == "" {
		return nil, nil
	}
	_, clientCfg, err := identity.LoadTLS(identity.TLSFiles{Cert: cert, Key: m.Props["halo.security.tls.key.file"], CA: m.Props["halo.security.tls.ca.file"]})
	return clientCfg, err
}

// transportCredentials reach the master's RPC port without proving the
// secret: enough for GetMasterInfo, which stays open.
func (m *Master) transportCredentials() (credentials.TransportCredentials, error) {
	cfg, err := m.clientTLS()
	return client.TransportCredentials(cfg, nil), err
}

// WebClient is an HTTP client for the master's web port: it presents the
// master's certificate in CERTIFICATE mode and signs requests with the
// secret in SECRET mode, so operator endpoints answer it.
func (m *Master) WebClient() (*http.Client, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	clientCfg, err := m.clientTLS()
	if err != nil {
		return nil, err
	}
	transport.TLSClientConfig = clientCfg
	var rt http.RoundTripper = transport
	if m.authentication() == identity.Secret {
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
