package identity

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os/user"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/internal/testcerts"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// countingLookup answers group lookups from a table and counts them.
type countingLookup struct {
	groups map[string][]string
	calls  atomic.Int64
}

func (c *countingLookup) lookup(name string) []string {
	c.calls.Add(1)
	return c.groups[name]
}

// userContext is a request on a connection that proved the shared secret,
// over a channel authenticated as name ("": none).
func userContext(t testing.TB, ids *Identities, name string) context.Context {
	t.Helper()
	ctx := peer.NewContext(context.Background(), &peer.Peer{AuthInfo: sharedsecret.AuthInfo{}})
	if name == "" {
		return ctx
	}
	id := "channel-of-" + name
	closeChannel, err := ids.OpenChannel(id, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeChannel)
	return metadata.NewIncomingContext(ctx, metadata.Pairs(ChannelMetadataKey, id))
}

// testIdentities runs in SECRET mode, where a named superuser is one.
func testIdentities() (*Identities, *countingLookup) {
	l := &countingLookup{groups: map[string][]string{
		"halo":  {"halo"},
		"alice": {"staff", "dev"},
		"admin": {"staff", "supergroup"},
	}}
	ids := New(Config{SuperUser: "halo", SuperGroup: "supergroup", Authentication: Secret, GroupLookup: l.lookup})
	return ids, l
}

func TestCallerNeedsUserName(t *testing.T) {
	ids, _ := testIdentities()
	for name, ctx := range map[string]context.Context{
		"no metadata":       context.Background(),
		"metadata, no user": metadata.NewIncomingContext(context.Background(), metadata.Pairs("other", "x")),
		"no channel":        userContext(t, ids, ""),
		"outgoing, not in":  metadata.NewOutgoingContext(context.Background(), metadata.Pairs(ChannelMetadataKey, "x")),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := ids.Caller(ctx)
			if fserr.CodeOf(err) != fserr.PermissionDenied {
				t.Fatalf("caller() = %v, %v; want PermissionDenied", c, err)
			}
		})
	}
}

func TestCallerSuperuser(t *testing.T) {
	ids, _ := testIdentities()
	tests := []struct {
		user      string
		groups    []string
		superuser bool
	}{
		{"halo", []string{"halo"}, true},                 // the master's own user
		{"admin", []string{"staff", "supergroup"}, true}, // in the supergroup
		{"alice", []string{"staff", "dev"}, false},       // neither
		{"stranger", nil, false},                         // unknown on this host: no groups
		{"supergroup", nil, false},                       // a user named like the group is not in it
		{"HALO", nil, false},                             // names are case-sensitive
		{"root", nil, false},                             // root is not special unless it runs the master
	}
	for _, tt := range tests {
		c, err := ids.Caller(userContext(t, ids, tt.user))
		if err != nil {
			t.Fatalf("caller(%q): %v", tt.user, err)
		}
		if c.User != tt.user || c.Superuser != tt.superuser || !slices.Equal(c.Groups, tt.groups) {
			t.Errorf("caller(%q) = {User:%q Groups:%v Superuser:%v}, want {User:%q Groups:%v Superuser:%v}",
				tt.user, c.User, c.Groups, c.Superuser, tt.user, tt.groups, tt.superuser)
		}
	}
}

func TestCallerGroupsAreCached(t *testing.T) {
	ids, l := testIdentities()
	alice, admin := userContext(t, ids, "alice"), userContext(t, ids, "admin")
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ctx := range []context.Context{alice, admin, alice} {
				if _, err := ids.Caller(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := l.calls.Load(); n != 2 {
		t.Fatalf("%d group lookups for 2 users asked 150 times, want 2", n)
	}

	// An entry older than the cache's lifetime is looked up again, and the
	// new answer is used.
	ids.mu.Lock()
	ids.cache["alice"] = cachedGroups{groups: ids.cache["alice"].groups, at: time.Now().Add(-2 * groupCacheTTL)}
	ids.mu.Unlock()
	l.groups["alice"] = []string{"staff", "supergroup"}
	c, err := ids.Caller(alice)
	if err != nil {
		t.Fatal(err)
	}
	if n := l.calls.Load(); n != 3 {
		t.Errorf("%d lookups after alice's cache entry expired, want 3", n)
	}
	if !c.Superuser {
		t.Errorf("alice, now in the supergroup, is not a superuser after the cache expired: %+v", c)
	}
	// Unknown users (no groups) are cached too, so a flood of requests
	// from them does not hit the user database each time.
	stranger := userContext(t, ids, "stranger")
	for i := 0; i < 3; i++ {
		ids.Caller(stranger)
	}
	if n := l.calls.Load(); n != 4 {
		t.Errorf("%d lookups after asking for an unknown user 3 times, want 4", n)
	}
}

func TestOSGroups(t *testing.T) {
	if g := osGroups("halo-no-such-user-on-this-host"); g != nil {
		t.Errorf("osGroups(unknown user) = %v, want none", g)
	}
	u, err := user.Current()
	if err != nil {
		t.Skipf("no current user: %v", err)
	}
	primary, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Skipf("no name for group %s: %v", u.Gid, err)
	}
	g := osGroups(u.Username)
	if len(g) == 0 || g[0] != primary.Name {
		t.Errorf("osGroups(%q) = %v, want the primary group %q first", u.Username, g, primary.Name)
	}
	if len(g) != len(slicesCompact(g)) {
		t.Errorf("osGroups(%q) = %v lists a group twice", u.Username, g)
	}
}

func slicesCompact(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func TestCallerRefusesBadUserNames(t *testing.T) {
	ids, l := testIdentities()
	for _, name := range []string{strings.Repeat("u", MaxNameBytes+1), "a:b", "-x", "line\nbreak"} {
		_, err := ids.OpenChannel("channel", name)
		if fserr.CodeOf(err) != fserr.InvalidArgument || !strings.HasPrefix(err.Error(), "user name ") {
			t.Fatalf("a channel of %.20q: %v; want InvalidArgument about the user name", name, err)
		}
	}
	if n := l.calls.Load(); n != 0 {
		t.Fatalf("refused names were looked up %d times", n)
	}
}

// TestCallerGroupCacheIsBounded: any client may send any name, so the
// cache of looked-up groups must not grow with the number of names seen.
func TestCallerGroupCacheIsBounded(t *testing.T) {
	ids, _ := testIdentities()
	for i := 0; i < 3*maxCachedUsers; i++ {
		if _, err := ids.Caller(userContext(t, ids, fmt.Sprint("user", i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(ids.cache); n > maxCachedUsers {
		t.Fatalf("the group cache holds %d names, more than %d", n, maxCachedUsers)
	}
	if _, ok := ids.cache[fmt.Sprint("user", 3*maxCachedUsers-1)]; !ok {
		t.Fatal("the newest name is not cached")
	}
}

// TestCertificateUser: in CERTIFICATE mode the user is the verified
// certificate's common name, whatever name the request carries; a common
// name that is no valid user name, or no certificate, is refused.
func TestCertificateUser(t *testing.T) {
	ids, _ := testIdentities()
	ids.auth = Certificate
	ca := testcerts.NewCA(t)
	withCert := func(cn string) context.Context {
		leaf, err := x509.ParseCertificate(ca.Issue(t, cn).Cert.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		info := credentials.TLSInfo{State: tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{leaf}}}}
		ctx := peer.NewContext(context.Background(), &peer.Peer{AuthInfo: info})
		return metadata.NewIncomingContext(ctx, metadata.Pairs(ChannelMetadataKey, "no channel of this master"))
	}
	if id, err := ids.identify(withCert("alice")); err != nil || id.caller.User != "alice" || id.superuser {
		t.Errorf("certificate for alice naming halo = %+v, %v; want alice, no superuser", id.caller, err)
	}
	if id, err := ids.identify(withCert("halo")); err != nil || !id.superuser {
		t.Errorf("certificate for halo = %+v, %v; want the superuser", id.caller, err)
	}
	if _, err := ids.identify(withCert("halo test master")); fserr.CodeOf(err) != fserr.InvalidArgument {
		t.Errorf("a common name with spaces: %v, want InvalidArgument", err)
	}
	if _, err := ids.identify(userContext(t, ids, "halo")); fserr.CodeOf(err) != fserr.PermissionDenied {
		t.Errorf("no certificate: %v, want PermissionDenied", err)
	}
}

func TestCheckName(t *testing.T) {
	for _, good := range []string{
		"alice", "svc-halo", "user@EXAMPLE.COM", `DOMAIN\bob`, "host$", "jürgen", "1000", "a.b_c",
		strings.Repeat("n", MaxNameBytes),
	} {
		if err := CheckName("user name", good); err != nil {
			t.Errorf("CheckName(%q) = %v, want nil", good, err)
		}
	}
	for _, bad := range []struct{ name, want string }{
		{"", "is empty"},
		{strings.Repeat("n", MaxNameBytes+1), "256 bytes is longer than the limit of 255"},
		{"a\xffb", "not valid UTF-8"},
		{".", "is not a name"},
		{"..", "is not a name"},
		{"-rf", "starts with '-'"},
		{"owner:group", `contains ':'`},
		{"a,b", `contains ','`},
		{"a/b", `contains '/'`},
		{"two words", `contains ' '`},
		{"tab\there", `contains '\t'`},
		{"nul\x00", `contains '\x00'`},
		{"nbsp\u00a0x", `contains '\u00a0'`},
	} {
		err := CheckName("owner", bad.name)
		if fserr.CodeOf(err) != fserr.InvalidArgument || !strings.HasPrefix(err.Error(), "owner ") || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("CheckName(%q) = %v, want InvalidArgument starting with \"owner\" and mentioning %q", bad.name, err, bad.want)
		}
	}
}
