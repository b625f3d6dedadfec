package boot

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	haraft "github.com/halo-fs/halo/ha/raft"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/master/web"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Security is what a process needs to prove itself and check others:
// mutual TLS (halo.security.tls.*) and the authentication type with its
// shared secret.
type Security struct {
	auth           identity.Authentication
	secret         []byte
	server, client *tls.Config // nil without TLS
}

// LoadSecurity reads the TLS files and the shared secret cfg names.
func LoadSecurity(cfg *conf.Config) (*Security, error) {
	s := &Security{auth: identity.Authentication(cfg.AuthenticationType)}
	files := identity.TLSFiles{Cert: cfg.TLSCertFile, Key: cfg.TLSKeyFile, CA: cfg.TLSCAFile}
	if files.Enabled() {
		var err error
		if s.server, s.client, err = identity.LoadTLS(files); err != nil {
			return nil, err
		}
	}
	if s.auth == identity.Secret {
		secret, err := sharedsecret.ReadFile(cfg.AuthSecretFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", conf.KeyAuthSecretFile, err)
		}
		s.secret = secret
	}
	return s, nil
}

// applyTo sets a master's authentication, permission and TLS settings.
func (s *Security) applyTo(sc *master.Config, cfg *conf.Config) {
	sc.Authentication = s.auth
	sc.Secret = s.secret
	sc.TLS = s.server
	sc.Umask = cfg.Umask
	sc.PermissionsDisabled = !cfg.PermissionEnabled
	sc.TrustAssertedSuperuser = cfg.TrustAssertedSuperuser
	sc.DigestInterval = cfg.DigestInterval
	sc.PeerDialOptions = s.peerDialOptions()
}

// WebRefusal is the check of operator-only web pages served beside the
// master's (a worker's Logs): as the RPC port authenticates.
func (s *Security) WebRefusal() func(*http.Request) string {
	ops, secret := web.OperatorsFor(s.auth), s.secret
	return func(r *http.Request) string { return web.Refusal(ops, secret, r) }
}

// ClientOptions sets what a client of the RPC port sends.
func (s *Security) ClientOptions(opts *client.Options) {
	opts.TLS = s.client
	opts.Secret = s.secret
	opts.Authentication = string(s.auth)
}

// peerDialOptions are what a master needs to call another's RPC port.
func (s *Security) peerDialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithTransportCredentials(client.TransportCredentials(s.client, s.secret))}
}

// raftStreamLayer is the embedded journal's transport: mutual TLS that
// admits members only when TLS is configured, else TCP with the shared
// secret's proof in SECRET mode, else nil (plain TCP, for trusted networks
// only: a warning says so). Call members.Follow once Raft runs.
func (s *Security) raftStreamLayer(cfg *conf.Config, log hclog.Logger) (raft.StreamLayer, *haraft.Members, error) {
	members := haraft.NewMembers(cfg.EmbeddedJournalAddresses)
	bind := cfg.EmbeddedJournalAddress()
	if cfg.BindHost != "" {
		bind = net.JoinHostPort(cfg.BindHost, strconv.Itoa(cfg.EmbeddedJournalPort))
	}
	switch {
	case s.server != nil:
		layer, err := haraft.NewTLSStreamLayer(bind, cfg.EmbeddedJournalAddress(), s.server, s.client, members)
		return layer, members, err
	case s.secret != nil:
		layer, err := haraft.NewSecretStreamLayer(bind, cfg.EmbeddedJournalAddress(), s.secret, log.Named("raft"))
		return layer, members, err
	}
	log.Warn("the embedded journal port accepts any peer that can reach it; keep it on a trusted network, or set halo.security.tls.* or alluxio.security.authentication.type=SECRET",
		"port", cfg.EmbeddedJournalPort)
	return nil, members, nil
}

// DialOptions are what a process needs to call a master's RPC port (a
// worker reporting to the masters).
func (s *Security) DialOptions() []grpc.DialOption { return s.peerDialOptions() }

// ServerCredentials are the transport credentials of a port that serves
// as the masters' RPC port does (a worker's): TLS when configured, with
// the shared-secret handshake in SECRET mode.
func (s *Security) ServerCredentials() credentials.TransportCredentials {
	return identity.TransportCredentials(s.auth, s.server, s.secret)
}

// CheckCaller refuses, in SECRET mode, a call whose connection did not
// prove the secret; other modes admit every caller the transport let in.
func (s *Security) CheckCaller(ctx context.Context) error {
	if s.auth != identity.Secret {
		return nil
	}
	return identity.SecretProof(ctx)
}
