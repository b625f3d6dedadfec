package master

import (
	"context"
	"crypto/tls"
	"errors"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
)

// Authentication is alluxio.security.authentication.type: how a master
// learns who calls.
type Authentication string

// Authentication types. NOSASL and SIMPLE are Alluxio's; SECRET and
// CERTIFICATE are Halo's modes for deployments that must tell users apart.
const (
	// AuthNoSASL: no identity at all; permission checks are off, as in
	// Alluxio, and admin operations are refused.
	AuthNoSASL Authentication = "NOSASL"
	// AuthSimple: the client names its user and the master believes it for
	// ownership and permission bits, never for superuser powers.
	AuthSimple Authentication = "SIMPLE"
	// AuthSecret: every connection proves it holds the deployment's shared
	// secret; its calls then name their user, which is believed fully.
	AuthSecret Authentication = "SECRET"
	// AuthCertificate: the user is the common name of the client's
	// verified TLS certificate.
	AuthCertificate Authentication = "CERTIFICATE"
)

// verifies reports whether the type proves who calls, which admin
// operations and superuser powers need.
// webOperators is how the web port's operator endpoints authenticate in
// authentication mode a: as the RPC port does.
func webOperators(a Authentication) web.Operators {
	switch a {
	case AuthSecret:
		return web.SignedBySecret
	case AuthCertificate:
		return web.CertificateRequired
	}
	return web.Unchecked
}

func (a Authentication) verifies() bool { return a == AuthSecret || a == AuthCertificate }

// identity is who a request comes from, as far as the master can tell.
type identity struct {
	caller *journalpb.Caller
	// superuser: the user is the master's own or in the supergroup, and
	// the authentication type proved it.
	superuser bool
}

// identify works out who sent the request in ctx under the master's
// authentication type. The Caller's Superuser flag, stamped into entries,
// means "apply skips permission checks for this caller": true for a proven
// superuser, and for everyone when permission checks are off.
func (ids *identities) identify(ctx context.Context) (identity, error) {
	var name string
	var err error
	switch ids.auth {
	case AuthNoSASL:
		return identity{caller: &journalpb.Caller{Superuser: true}}, nil
	case AuthCertificate:
		name, err = certificateUser(ctx)
	case AuthSecret:
		if err = secretProof(ctx); err == nil {
			name, err = assertedUser(ctx)
		}
	default:
		name, err = assertedUser(ctx)
	}
	if err != nil {
		return identity{}, err
	}
	c := &journalpb.Caller{User: name, Groups: ids.groups(name)}
	super := ids.auth.verifies() && ids.isSuperuser(name, c.Groups)
	c.Superuser = super || ids.permissionsOff
	return identity{caller: c, superuser: super}, nil
}

func (ids *identities) isSuperuser(name string, groups []string) bool {
	if name == ids.superUser {
		return true
	}
	for _, g := range groups {
		if g == ids.superGroup {
			return true
		}
	}
	return false
}

// admin refuses what only a proven superuser may do: quorum changes,
// backups and checkpoints, mounts. Under SIMPLE anyone can claim the
// master's user name, so these are refused there whoever asks.
func (ids *identities) admin(ctx context.Context, what string) error {
	if !ids.auth.verifies() {
		return fserr.New(fserr.PermissionDenied,
			"permission denied: only a superuser on an authenticated connection can %s, and alluxio.security.authentication.type=%s does not verify who calls; "+
				"set it to SECRET (with halo.security.authentication.secret.file) or CERTIFICATE (with halo.security.tls.*)", what, ids.auth)
	}
	id, err := ids.identify(ctx)
	if err != nil {
		return err
	}
	if !id.superuser {
		return fserr.New(fserr.PermissionDenied, "permission denied: only a superuser can %s (user=%s)", what, id.caller.User)
	}
	return nil
}

// secretProof says whether the request's connection proved the secret.
func secretProof(ctx context.Context) error {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return fserr.New(fserr.PermissionDenied, "permission denied: %v (alluxio.security.authentication.type=SECRET)", sharedsecret.ErrNoProof)
	}
	info, ok := p.AuthInfo.(sharedsecret.AuthInfo)
	if !ok {
		return fserr.New(fserr.PermissionDenied, "permission denied: %v (alluxio.security.authentication.type=SECRET)", sharedsecret.ErrNoProof)
	}
	if info.Refusal != nil {
		hint := "give the client the master's halo.security.authentication.secret.file"
		if errors.Is(info.Refusal, sharedsecret.ErrNoProof) {
			hint = "set alluxio.security.authentication.type=SECRET and halo.security.authentication.secret.file on the client"
		}
		return fserr.New(fserr.PermissionDenied, "permission denied: %v; %s", info.Refusal, hint)
	}
	return nil
}

// certificateUser is the common name of the client's verified certificate.
func certificateUser(ctx context.Context) (string, error) {
	p, ok := peer.FromContext(ctx)
	var state *tls.ConnectionState
	if ok {
		state = tlsState(p.AuthInfo)
	}
	if state == nil || len(state.VerifiedChains) == 0 || state.VerifiedChains[0][0].Subject.CommonName == "" {
		return "", fserr.New(fserr.PermissionDenied,
			"permission denied: alluxio.security.authentication.type=CERTIFICATE needs a client certificate whose common name is the user")
	}
	name := state.VerifiedChains[0][0].Subject.CommonName
	if err := CheckName("user name (the client certificate's common name)", name); err != nil {
		return "", err
	}
	return name, nil
}

func tlsState(info credentials.AuthInfo) *tls.ConnectionState {
	switch i := info.(type) {
	case credentials.TLSInfo:
		return &i.State
	case sharedsecret.AuthInfo:
		return tlsState(i.Inner)
	}
	return nil
}

// transportCredentials are the RPC port's: TLS when configured, with the
// shared-secret handshake on top in SECRET mode.
func (m *Master) transportCredentials() credentials.TransportCredentials {
	var creds credentials.TransportCredentials = insecure.NewCredentials()
	if m.cfg.TLS != nil {
		creds = credentials.NewTLS(m.cfg.TLS)
	}
	if m.cfg.Authentication == AuthSecret {
		creds = sharedsecret.NewCredentials(creds, m.cfg.Secret)
	}
	return creds
}
