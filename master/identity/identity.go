// Package identity owns who calls a master: the authentication types
// (alluxio.security.authentication.type) and the RPC port's transport
// credentials, turning a request into the Caller stamped into its entry
// (the asserted user, the shared-secret proof or the client certificate;
// groups from the host's user database, cached), the superuser check of
// admin operations, what a user or group name may be, and the files of
// mutual TLS. Only the leader identifies callers; apply never consults
// the host.
package identity

import (
	"context"
	"crypto/tls"
	"errors"
	"os/user"
	"slices"
	"sync"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// Authentication is alluxio.security.authentication.type: how a master
// learns who calls.
type Authentication string

// Authentication types. NOSASL and SIMPLE are Alluxio's; SECRET and
// CERTIFICATE are Halo's modes for deployments that must tell users apart.
const (
	// NoSASL: no identity at all; permission checks are off, as in
	// Alluxio, and admin operations are refused.
	NoSASL Authentication = "NOSASL"
	// Simple: the client names its user and the master believes it for
	// ownership and permission bits, never for superuser powers.
	Simple Authentication = "SIMPLE"
	// Secret: every connection proves it holds the deployment's shared
	// secret; its calls then name their user, which is believed fully.
	Secret Authentication = "SECRET"
	// Certificate: the user is the common name of the client's
	// verified TLS certificate.
	Certificate Authentication = "CERTIFICATE"
)

// verifies reports whether the type proves who calls, which admin
// operations and superuser powers need.
func (a Authentication) verifies() bool { return a == Secret || a == Certificate }

// groupCacheTTL is how long a user's groups are remembered, as Alluxio's
// shell-based group mapping caches them.
const groupCacheTTL = 60 * time.Second

// maxCachedUsers bounds the group cache: any client may send any name.
const maxCachedUsers = 4096

// Identities turns a user name into a Caller: groups from the master host's
// user database, superuser if the user is the master's own user or in the
// supergroup and the authentication type proved it (see identify). Only
// the leader does this; the result is stamped into each entry so that apply
// never consults the host.
type Identities struct {
	superUser  string
	superGroup string
	lookup     func(name string) []string
	// auth is how callers are identified; permissionsOff stamps every
	// caller as exempt from permission checks
	// (alluxio.security.authorization.permission.enabled=false).
	auth           Authentication
	permissionsOff bool
	// trustAsserted believes asserted superusers (see
	// Config.TrustAssertedSuperuser).
	trustAsserted bool

	mu    sync.Mutex
	cache map[string]cachedGroups

	channels channels
}

type cachedGroups struct {
	groups []string
	at     time.Time
}

// Config says who is the superuser and how callers are identified.
type Config struct {
	SuperUser  string // the master's own user
	SuperGroup string
	// Authentication is how callers are identified; "" means Simple.
	Authentication Authentication
	// PermissionsDisabled is
	// alluxio.security.authorization.permission.enabled=false.
	PermissionsDisabled bool
	// TrustAssertedSuperuser believes, as Alluxio does, the superuser a
	// SIMPLE client names, and lets NOSASL clients administer
	// (halo.security.authorization.trust.asserted.superuser).
	TrustAssertedSuperuser bool
	// GroupLookup gives a user's groups; nil means the host's user database.
	GroupLookup func(name string) []string
}

// New returns the identities of a master configured by cfg.
func New(cfg Config) *Identities {
	if cfg.Authentication == "" {
		cfg.Authentication = Simple
	}
	if cfg.GroupLookup == nil {
		cfg.GroupLookup = osGroups
	}
	return &Identities{
		superUser: cfg.SuperUser, superGroup: cfg.SuperGroup, lookup: cfg.GroupLookup, cache: map[string]cachedGroups{},
		auth: cfg.Authentication, permissionsOff: cfg.PermissionsDisabled || cfg.Authentication == NoSASL,
		trustAsserted: cfg.TrustAssertedSuperuser,
	}
}

// osGroups returns the user's groups, primary group first; none if the
// user is unknown on this host (Alluxio treats such users the same way).
func osGroups(name string) []string {
	u, err := user.Lookup(name)
	if err != nil {
		return nil
	}
	ids, err := u.GroupIds()
	if err != nil {
		ids = []string{u.Gid}
	}
	out := make([]string, 0, len(ids))
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		out = append(out, g.Name)
	}
	for _, id := range ids {
		if id == u.Gid {
			continue
		}
		if g, err := user.LookupGroupId(id); err == nil {
			out = append(out, g.Name)
		}
	}
	return out
}

func (ids *Identities) groups(name string) []string {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if c, ok := ids.cache[name]; ok && time.Since(c.at) < groupCacheTTL {
		return c.groups
	}
	g := ids.lookup(name)
	ids.makeRoom()
	ids.cache[name] = cachedGroups{groups: g, at: time.Now()}
	return g
}

// makeRoom keeps the cache below maxCachedUsers: it drops expired entries,
// and if none expired, an arbitrary one. Called with mu held.
func (ids *Identities) makeRoom() {
	if len(ids.cache) < maxCachedUsers {
		return
	}
	for name, c := range ids.cache {
		if time.Since(c.at) >= groupCacheTTL {
			delete(ids.cache, name)
		}
	}
	for name := range ids.cache {
		if len(ids.cache) < maxCachedUsers {
			return
		}
		delete(ids.cache, name)
	}
}

// Caller builds the Caller for the request in ctx (see identify).
func (ids *Identities) Caller(ctx context.Context) (*journalpb.Caller, error) {
	id, err := ids.identify(ctx)
	return id.caller, err
}

// assertedUser is the user name the client sent (SIMPLE and SECRET)
// once, when it authenticated the channel whose id the call carries.
func (ids *Identities) assertedUser(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	ch := md.Get(ChannelMetadataKey)
	if len(ch) == 0 || ch[0] == "" {
		return "", fserr.New(fserr.PermissionDenied,
			"request carries no user name: authenticate the connection's channel with SaslAuthenticationService and send its id in metadata %q", ChannelMetadataKey)
	}
	name, ok := ids.channels.user(ch[0])
	if !ok {
		return "", fserr.New(fserr.Unauthenticated, "channel %s is not authenticated (or its authentication ended): authenticate it with SaslAuthenticationService first", ch[0])
	}
	return name, nil
}

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
func (ids *Identities) identify(ctx context.Context) (identity, error) {
	var name string
	var err error
	switch ids.auth {
	case NoSASL:
		return identity{caller: &journalpb.Caller{Superuser: true}, superuser: ids.trustAsserted}, nil
	case Certificate:
		name, err = certificateUser(ctx)
	case Secret:
		if err = secretProof(ctx); err == nil {
			name, err = ids.assertedUser(ctx)
		}
	default:
		name, err = ids.assertedUser(ctx)
	}
	if err != nil {
		return identity{}, err
	}
	c := &journalpb.Caller{User: name, Groups: ids.groups(name)}
	super := (ids.auth.verifies() || ids.trustAsserted) && ids.isSuperuser(name, c.Groups)
	c.Superuser = super || ids.permissionsOff
	return identity{caller: c, superuser: super}, nil
}

func (ids *Identities) isSuperuser(name string, groups []string) bool {
	return name == ids.superUser || slices.Contains(groups, ids.superGroup)
}

// Admin refuses what only a proven superuser may do: quorum changes,
// backups and checkpoints, mounts. Under SIMPLE anyone can claim the
// master's user name, so these are refused there whoever asks.
func (ids *Identities) Admin(ctx context.Context, what string) error {
	if !ids.auth.verifies() && !ids.trustAsserted {
		return fserr.New(fserr.PermissionDenied,
			"permission denied: only a superuser on an authenticated connection can %s, and alluxio.security.authentication.type=%s does not verify who calls; "+
				"set it to SECRET (with halo.security.authentication.secret.file) or CERTIFICATE (with halo.security.tls.*), "+
				"or accept Alluxio's trust in asserted users with halo.security.authorization.trust.asserted.superuser=true", what, ids.auth)
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

// SecretProof refuses the request unless its connection proved the
// shared secret (SECRET mode), with an error saying how to configure it.
func SecretProof(ctx context.Context) error { return secretProof(ctx) }

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

// TransportCredentials are a master's RPC port's: TLS when tlsCfg is set,
// with the shared-secret handshake on top in SECRET mode.
func TransportCredentials(auth Authentication, tlsCfg *tls.Config, secret []byte) credentials.TransportCredentials {
	var creds credentials.TransportCredentials = insecure.NewCredentials()
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	}
	if auth == Secret {
		creds = sharedsecret.NewCredentials(creds, secret)
	}
	return creds
}
