package main

import (
	"crypto/tls"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// tlsConfigs are the two sides of mutual TLS, nil when not configured.
type tlsConfigs struct {
	server, client *tls.Config
}

func loadTLS(cfg *conf.Config) (*tlsConfigs, error) {
	files := server.TLSFiles{Cert: cfg.TLSCertFile, Key: cfg.TLSKeyFile, CA: cfg.TLSCAFile}
	if !files.Enabled() {
		return nil, nil
	}
	s, c, err := server.LoadTLS(files)
	if err != nil {
		return nil, err
	}
	return &tlsConfigs{server: s, client: c}, nil
}

// dialOptions are what a client of a master's RPC port needs.
func (t *tlsConfigs) dialOptions() []grpc.DialOption {
	if t == nil {
		return nil
	}
	return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(t.client))}
}

// serverOptions are what a master's RPC port needs.
func (t *tlsConfigs) serverOptions() []grpc.ServerOption {
	if t == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(t.server))}
}
