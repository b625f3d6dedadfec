package raft

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	hraft "github.com/hashicorp/raft"
)

// tlsStreamLayer carries Raft's transport over mutual TLS.
type tlsStreamLayer struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
}

// NewTLSStreamLayer listens on bind for Raft peers over mutual TLS. A peer
// must present a certificate for the host of one of members; the peers it
// dials are checked by host name as every TLS client does.
func NewTLSStreamLayer(bind, advertise string, serverCfg, clientCfg *tls.Config, members *Members) (hraft.StreamLayer, error) {
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

func (t *tlsStreamLayer) Dial(address hraft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	host, _, err := net.SplitHostPort(string(address))
	if err != nil {
		return nil, err
	}
	cfg := t.client.Clone()
	cfg.ServerName = host
	return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", string(address), cfg)
}
