package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/hashicorp/raft"
)

// TLSFiles name the PEM files for mutual TLS.
type TLSFiles struct {
	Cert, Key, CA string
}

// Enabled reports whether TLS is configured.
func (f TLSFiles) Enabled() bool { return f.Cert != "" }

// LoadTLS builds the server and client sides of mutual TLS: both present
// the same certificate and require the other side's to chain to the CA.
func LoadTLS(f TLSFiles) (serverCfg, clientCfg *tls.Config, err error) {
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS certificate %s / key %s: %w", f.Cert, f.Key, err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("TLS CA file %s holds no PEM certificate", f.CA)
	}
	serverCfg = &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	clientCfg = &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      pool,
		MinVersion:   tls.VersionTLS12,
	}
	return serverCfg, clientCfg, nil
}

// tlsStreamLayer carries Raft's transport over mutual TLS.
type tlsStreamLayer struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
}

// NewTLSStreamLayer listens on bind for Raft peers over mutual TLS. A peer
// must present a certificate for the host of one of members; the peers it
// dials are checked by host name as every TLS client does.
func NewTLSStreamLayer(bind, advertise string, serverCfg, clientCfg *tls.Config, members *RaftMembers) (raft.StreamLayer, error) {
	addr, err := net.ResolveTCPAddr("tcp", advertise)
	if err != nil {
		return nil, fmt.Errorf("embedded journal address %s: %w", advertise, err)
	}
	serverCfg = serverCfg.Clone()
	serverCfg.VerifyConnection = members.checkCertificate
	l, err := tls.Listen("tcp", bind, serverCfg)
	if err != nil {
		return nil, fmt.Errorf("embedded journal port %s: %w", bind, err)
	}
	return &tlsStreamLayer{Listener: l, advertise: addr, client: clientCfg}, nil
}

func (t *tlsStreamLayer) Addr() net.Addr { return t.advertise }

func (t *tlsStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	host, _, err := net.SplitHostPort(string(address))
	if err != nil {
		return nil, err
	}
	cfg := t.client.Clone()
	cfg.ServerName = host
	return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", string(address), cfg)
}
