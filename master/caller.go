package master

import (
	"context"
	"os/user"
	"sync"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/grpc/metadata"
)

// UserMetadataKey carries the caller's user name (SIMPLE authentication).
const UserMetadataKey = "halo-user"

// ChannelMetadataKey carries the id of an Alluxio client's authenticated
// channel on every call (see OpenChannel).
const ChannelMetadataKey = "channel-id"

// groupCacheTTL is how long a user's groups are remembered, as Alluxio's
// shell-based group mapping caches them.
const groupCacheTTL = 60 * time.Second

// maxCachedUsers bounds the group cache: any client may send any name.
const maxCachedUsers = 4096

// identities turns a user name into a Caller: groups from the master host's
// user database, superuser if the user is the master's own user or in the
// supergroup and the authentication type proved it (see identify). Only
// the leader does this; the result is stamped into each entry so that apply
// never consults the host.
type identities struct {
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

func newIdentities(superUser, superGroup string) *identities {
	return &identities{superUser: superUser, superGroup: superGroup, lookup: osGroups, cache: map[string]cachedGroups{}, auth: AuthSimple}
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

func (ids *identities) groups(name string) []string {
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
func (ids *identities) makeRoom() {
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

// caller builds the Caller for the request in ctx (see identify).
func (ids *identities) caller(ctx context.Context) (*journalpb.Caller, error) {
	id, err := ids.identify(ctx)
	return id.caller, err
}

// assertedUser is the user name the client sends (SIMPLE and SECRET):
// with each call from Halo's client, once per channel from Alluxio's.
func (ids *identities) assertedUser(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(UserMetadataKey)
	if ch := md.Get(ChannelMetadataKey); len(vals) == 0 && len(ch) > 0 {
		name, ok := ids.channels.user(ch[0])
		if !ok {
			return "", fserr.New(fserr.Unauthenticated, "channel %s is not authenticated (or its authentication ended): authenticate it with SaslAuthenticationService first", ch[0])
		}
		return name, nil
	}
	if len(vals) == 0 || vals[0] == "" {
		return "", fserr.New(fserr.PermissionDenied, "request carries no user name (SIMPLE authentication needs metadata %q)", UserMetadataKey)
	}
	name := vals[0]
	if err := CheckName("user name", name); err != nil {
		return "", err
	}
	return name, nil
}
