package master

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

// testSecret is the shared secret of the masters tests start.
var testSecret = []byte("a test secret of more than sixteen bytes")

func simpleMode(c *Config) { c.Authentication = identity.Simple }

// signedGet is an HTTP GET signed with secret, as SECRET mode's operator
// endpoints require.
func signedGet(t *testing.T, url string, secret []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if secret != nil {
		sharedsecret.SignRequest(req, secret, time.Now())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestSimpleClaimOfSuperuserNameGrantsNoAdmin: with SIMPLE authentication
// anyone can send the master's user name. That must not give superuser
// powers (deleting another user's tree) nor admin operations, and the
// refusal must say which setting enables them.
func TestSimpleClaimOfSuperuserNameGrantsNoAdmin(t *testing.T) {
	m, _ := startLocalMasterWith(t, simpleMode)
	c := dialWith(t, m.RPCAddr(), insecure.NewCredentials())
	alice, claimant := c.as(t, "alice"), c.as(t, "halo")
	if _, err := c.fs.CreateFile(alice, &alluxiopb.CreateFilePRequest{Path: proto.String("/alice/data"), Options: &alluxiopb.CreateFilePOptions{Recursive: proto.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, err error) {
		t.Helper()
		err = rpcerr.FromGRPC(err)
		if fserr.CodeOf(err) != fserr.PermissionDenied || !strings.Contains(err.Error(), "alluxio.security.authentication.type") {
			t.Errorf("%s by a SIMPLE client claiming the superuser name: %v, want PermissionDenied naming alluxio.security.authentication.type", what, err)
		}
	}
	_, err := c.fs.Remove(claimant, recursiveDelete("/alice"))
	if fserr.CodeOf(rpcerr.FromGRPC(err)) != fserr.PermissionDenied {
		t.Errorf("deleting alice's folder by a SIMPLE client claiming the superuser name: %v, want PermissionDenied", err)
	}
	_, err = c.fs.Mount(claimant, mountRequest("/host", "file:///"))
	refused("mounting file:///", err)
	backups := t.TempDir()
	_, err = c.meta.Backup(claimant, localBackup(backups))
	refused("a backup to a local folder", err)
	if names, _ := os.ReadDir(backups); len(names) != 0 {
		t.Errorf("a refused backup wrote %v", names)
	}
	_, err = c.halo.AddQuorumMember(claimant, &halopb.QuorumMemberRequest{Address: "127.0.0.9:19200"})
	refused("a quorum change", err)
	_, err = c.meta.Checkpoint(claimant, &alluxiopb.CheckpointPOptions{})
	refused("a checkpoint", err)
}

// TestSecretModeSuperuser: over a connection that proved the secret, the
// master's user deletes any tree, mounts, backs up and reaches the quorum
// command (which then fails only because this master has no quorum);
// another user does none of the admin operations.
func TestSecretModeSuperuser(t *testing.T) {
	m, _ := startLocalMaster(t)
	c := dial(t, m.RPCAddr())
	alice, admin := c.as(t, "alice"), c.as(t, "halo")
	if _, err := c.fs.CreateFile(alice, &alluxiopb.CreateFilePRequest{Path: proto.String("/alice/data"), Options: &alluxiopb.CreateFilePOptions{Recursive: proto.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.meta.Backup(alice, localBackup(t.TempDir()))
	wantCode(t, "a backup by alice", rpcerr.FromGRPC(err), fserr.PermissionDenied)
	if _, err := c.fs.Remove(admin, recursiveDelete("/alice")); err != nil {
		t.Errorf("the authenticated superuser deleting alice's folder: %v", err)
	}
	if _, err := c.fs.Mount(admin, mountRequest("/host", "file://"+t.TempDir())); err != nil {
		t.Errorf("the authenticated superuser mounting a local folder: %v", err)
	}
	if _, err := c.meta.Backup(admin, localBackup(t.TempDir())); err != nil {
		t.Errorf("the authenticated superuser backing up to a local folder: %v", err)
	}
	_, err = c.halo.AddQuorumMember(admin, &halopb.QuorumMemberRequest{Address: "127.0.0.9:19200"})
	wantCode(t, "a quorum change on a single master", rpcerr.FromGRPC(err), fserr.FailedPrecondition)
}

// TestSecretModeRefusesWrongOrNoSecret: a connection that proves another
// secret, or none, is refused on every call with an error that says so,
// and nothing is journaled; GetMasterInfo stays open for leader discovery.
func TestSecretModeRefusesWrongOrNoSecret(t *testing.T) {
	m, _ := startLocalMaster(t)
	for name, creds := range map[string]*struct{ c rpcAPI }{
		"wrong secret": {dialWith(t, m.RPCAddr(), sharedsecret.NewCredentials(insecure.NewCredentials(), []byte("not the secret, but long enough")))},
		"no secret":    {dialWith(t, m.RPCAddr(), insecure.NewCredentials())},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := creds.c.fs.CreateDirectory(creds.c.as(t, "halo"), mkdirRequest("/x", false))
			err = rpcerr.FromGRPC(err)
			if fserr.CodeOf(err) != fserr.PermissionDenied || !strings.Contains(err.Error(), "secret") {
				t.Errorf("create with %s: %v, want PermissionDenied about the secret", name, err)
			}
			if _, err := creds.c.halo.GetMasterInfo(context.Background(), &halopb.Empty{}); err != nil {
				t.Errorf("GetMasterInfo with %s: %v", name, err)
			}
		})
	}
	if got := m.fsm.AppliedIndex(); got != 0 {
		t.Errorf("refused calls journaled %d entries", got)
	}
}

// TestUmaskAndPermissionSwitch: the master's umask sets the mode of new
// files and folders (027 gives 0640 and 0750, for the parents made on the
// way too); with permission checks off, bob writes in alice's folder.
func TestUmaskAndPermissionSwitch(t *testing.T) {
	m, _ := startLocalMasterWith(t, func(c *Config) { c.Umask = 0o027 })
	c := dial(t, m.RPCAddr())
	alice := c.as(t, "alice")
	if _, err := c.fs.CreateDirectory(alice, mkdirRequest("/a/b", true)); err != nil {
		t.Fatalf("mkdir with umask 027: %v", err)
	}
	file, err := c.fs.CreateFile(alice, &alluxiopb.CreateFilePRequest{Path: proto.String("/a/f/g"), Options: &alluxiopb.CreateFilePOptions{Recursive: proto.Bool(true)}})
	if err != nil || file.GetFileInfo().GetMode() != 0o640 {
		t.Fatalf("create with umask 027 = %v, %v; want mode 0640", file, err)
	}
	for path, want := range map[string]int32{"/a": 0o750, "/a/b": 0o750, "/a/f": 0o750, "/a/f/g": 0o640} {
		st, err := c.fs.GetStatus(alice, statusRequest(path))
		if err != nil || st.GetFileInfo().GetMode() != want {
			t.Errorf("stat %s = %v, %v; want mode %o", path, st, err, want)
		}
	}
	_, err = c.fs.CreateFile(c.as(t, "bob"), createRequest("/a/bob"))
	wantCode(t, "bob writing in alice's folder", rpcerr.FromGRPC(err), fserr.PermissionDenied)

	open, _ := startLocalMasterWith(t, func(c *Config) { c.PermissionsDisabled = true })
	oc := dial(t, open.RPCAddr())
	if _, err := oc.fs.CreateDirectory(oc.as(t, "alice"), privateDirectory("/a")); err != nil {
		t.Fatal(err)
	}
	if _, err := oc.fs.CreateFile(oc.as(t, "bob"), createRequest("/a/bob")); err != nil {
		t.Errorf("bob writing in alice's 0700 folder with permission checks off: %v", err)
	}
	_, err = oc.meta.Backup(oc.as(t, "bob"), localBackup(t.TempDir()))
	wantCode(t, "a backup by bob with permission checks off", rpcerr.FromGRPC(err), fserr.PermissionDenied)
}

// TestDigestEndpointAuthenticated: in SECRET mode /checkpoint/digest needs
// a signed request; health does not.
func TestDigestEndpointAuthenticated(t *testing.T) {
	m, _ := startLocalMaster(t)
	web := "http://" + m.WebAddr()
	if code, body := signedGet(t, web+"/checkpoint/digest", nil); code != http.StatusUnauthorized {
		t.Errorf("unsigned digest request = %d %s, want 401", code, body)
	}
	if code, body := signedGet(t, web+"/checkpoint/digest", []byte("some other secret of enough bytes")); code != http.StatusUnauthorized {
		t.Errorf("digest request signed with another secret = %d %s, want 401", code, body)
	}
	if code, body := signedGet(t, web+"/checkpoint/digest", testSecret); code != http.StatusOK {
		t.Errorf("signed digest request = %d %s, want 200", code, body)
	}
	if code, body := signedGet(t, web+"/health/live", nil); code != http.StatusOK {
		t.Errorf("/health/live without a signature = %d %s, want 200", code, body)
	}
}

// TestNoSASL: as in Alluxio, nobody is identified and nothing is checked,
// so requests need no user name and bob writes in alice's 0700 folder;
// admin operations have nobody to grant them to and are refused.
func TestNoSASL(t *testing.T) {
	m, _ := startLocalMasterWith(t, func(c *Config) { c.Authentication = identity.NoSASL })
	c := dialWith(t, m.RPCAddr(), insecure.NewCredentials())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.fs.CreateDirectory(ctx, privateDirectory("/a")); err != nil {
		t.Fatalf("mkdir without a user under NOSASL: %v", err)
	}
	made, err := c.fs.GetStatus(ctx, statusRequest("/a"))
	if err != nil || made.GetFileInfo().GetOwner() != "" {
		t.Fatalf("mkdir without a user under NOSASL = %v, %v; want it made with no owner", made, err)
	}
	if _, err := c.fs.CreateFile(c.as(t, "bob"), createRequest("/a/bob")); err != nil {
		t.Errorf("create in a 0700 folder under NOSASL: %v", err)
	}
	_, err = c.meta.Backup(c.as(t, "halo"), localBackup(t.TempDir()))
	wantCode(t, "a backup under NOSASL", rpcerr.FromGRPC(err), fserr.PermissionDenied)
}

// TestTrustAssertedSuperuser: with the opt-in, a SIMPLE client naming the
// master's user administers as Alluxio lets it (another name still may
// not), and a NOSASL client administers.
func TestTrustAssertedSuperuser(t *testing.T) {
	trusting := func(auth identity.Authentication) func(*Config) {
		return func(c *Config) { c.Authentication = auth; c.TrustAssertedSuperuser = true }
	}
	m, _ := startLocalMasterWith(t, trusting(identity.Simple))
	c := dialWith(t, m.RPCAddr(), insecure.NewCredentials())
	_, err := c.meta.Backup(c.as(t, "halo"), localBackup(t.TempDir()))
	if err != nil {
		t.Errorf("a backup by the named superuser with the opt-in: %v", err)
	}
	_, err = c.meta.Backup(c.as(t, "alice"), localBackup(t.TempDir()))
	wantCode(t, "a backup by alice with the opt-in", rpcerr.FromGRPC(err), fserr.PermissionDenied)

	m, _ = startLocalMasterWith(t, trusting(identity.NoSASL))
	c = dialWith(t, m.RPCAddr(), insecure.NewCredentials())
	if _, err := c.meta.Backup(context.Background(), localBackup(t.TempDir())); err != nil {
		t.Errorf("a backup under NOSASL with the opt-in: %v", err)
	}
}

func recursiveDelete(path string) *alluxiopb.DeletePRequest {
	return &alluxiopb.DeletePRequest{Path: proto.String(path), Options: &alluxiopb.DeletePOptions{Recursive: proto.Bool(true)}}
}

func localBackup(dir string) *alluxiopb.BackupPRequest {
	return &alluxiopb.BackupPRequest{TargetDirectory: proto.String(dir), Options: &alluxiopb.BackupPOptions{LocalFileSystem: proto.Bool(true)}}
}

// privateDirectory asks for a folder of mode 0700.
func privateDirectory(path string) *alluxiopb.CreateDirectoryPRequest {
	all, none := alluxiopb.Bits_ALL.Enum(), alluxiopb.Bits_NONE.Enum()
	return &alluxiopb.CreateDirectoryPRequest{Path: proto.String(path), Options: &alluxiopb.CreateDirectoryPOptions{
		Mode: &alluxiopb.PMode{OwnerBits: all, GroupBits: none, OtherBits: none},
	}}
}
