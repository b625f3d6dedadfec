package e2e

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	haraft "github.com/halo-fs/halo/ha/raft"
	"github.com/halo-fs/halo/internal/testcerts"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// TestRaftOverMutualTLS runs three masters in CERTIFICATE mode: their Raft
// transport and RPC port require certificates. They elect a leader; the
// CLI, holding the masters' certificate (whose common name is the
// masters' user), is the superuser and takes a backup; a client holding
// alice's certificate is alice whatever user it names, and her
// certificate does not open the Raft port; a client without a
// certificate is refused.
func TestRaftOverMutualTLS(t *testing.T) {
	ca := testcerts.NewCA(t)
	dir := t.TempDir()
	masterFiles := ca.WriteFiles(t, dir, "master", ca.Issue(t, currentUser(t), "127.0.0.1", "127.0.0.2", "127.0.0.3"))
	alice := ca.Issue(t, "alice")
	props := masters.TLSProps(masterFiles)
	props["alluxio.security.authentication.type"] = "CERTIFICATE"
	c := masters.NewRaft(t, 3, props)
	c.StartAll()
	leader := c.Leader(30 * time.Second)

	if out, err := leader.Halo("fs", "mkdir", "/tls"); err != nil {
		t.Fatalf("halo fs mkdir over TLS: %v\n%s", err, out)
	}
	out, err := leader.Halo("fs", "ls", "/")
	if err != nil || !strings.Contains(out, "/tls") {
		t.Fatalf("halo fs ls over TLS: %v\n%s", err, out)
	}
	if out, err := leader.Halo("fsadmin", "backup", t.TempDir(), "--local"); err != nil || !strings.Contains(out, "Backup URI") {
		t.Fatalf("fsadmin backup by the certificate's superuser: %v\n%s", err, out)
	}

	aliceCfg := &tls.Config{Certificates: []tls.Certificate{alice.Cert}, RootCAs: ca.Pool}
	asAlice, err := client.New(client.Options{
		Addresses: c.RPCAddresses(), User: currentUser(t), RetryMaxDuration: 20 * time.Second, TLS: aliceCfg,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer asAlice.Close()
	if _, err := asAlice.GetStatus(context.Background(), "/tls"); err != nil {
		t.Fatalf("alice reading over TLS: %v", err)
	}
	if _, err := asAlice.CreateDirectory(context.Background(), "/alice", client.CreateDirectoryOptions{}); fserr.CodeOf(err) != fserr.PermissionDenied {
		t.Errorf("alice's certificate naming %s created in /: %v, want PermissionDenied", currentUser(t), err)
	}

	leaderRaft := leader.RaftAddress()
	if err := appendEntriesWith(t, aliceCfg, ca, alice, leaderRaft); err == nil {
		t.Errorf("alice's certificate sent AppendEntries to the leader's Raft port %s", leaderRaft)
	}

	web, err := leader.WebClient()
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := web.Get(leader.WebURL("/checkpoint/digest")); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("digest with the masters' certificate: %v %v", resp, err)
	}
	noCert := &tls.Config{RootCAs: ca.Pool}
	anon := &http.Client{Transport: &http.Transport{TLSClientConfig: noCert}, Timeout: 10 * time.Second}
	if resp, err := anon.Get(leader.WebURL("/checkpoint/digest")); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("digest without a client certificate: %v %v, want 401", resp, err)
	}
	if resp, err := anon.Get(leader.WebURL("/health/ready")); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/health/ready without a client certificate: %v %v, want 200", resp, err)
	}

	without, err := client.New(client.Options{
		Addresses: c.RPCAddresses(), User: currentUser(t), RetryMaxDuration: time.Second,
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(noCert))},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer without.Close()
	if _, err := without.GetStatus(context.Background(), "/tls"); fserr.CodeOf(err) != fserr.Unavailable {
		t.Fatalf("a client without a certificate got %v, want Unavailable", err)
	}
	plain := newClient(t, c.RPCAddresses(), time.Second)
	if _, err := plain.GetStatus(context.Background(), "/tls"); err == nil {
		t.Fatal("a plaintext client was served by a TLS master")
	}
}

// appendEntriesWith sends one AppendEntries to target over mutual TLS with
// the given certificate.
func appendEntriesWith(t *testing.T, clientCfg *tls.Config, ca *testcerts.CA, cert testcerts.Issued, target string) error {
	serverCfg := &tls.Config{Certificates: []tls.Certificate{cert.Cert}, ClientCAs: ca.Pool, ClientAuth: tls.RequireAndVerifyClientCert}
	bind := net.JoinHostPort("127.0.0.1", strconv.Itoa(masters.FreePort(t, "127.0.0.1")))
	layer, err := haraft.NewTLSStreamLayer(bind, bind, serverCfg, clientCfg, haraft.NewMembers(nil))
	if err != nil {
		t.Fatal(err)
	}
	tr := raft.NewNetworkTransportWithLogger(layer, 1, 5*time.Second, hclog.NewNullLogger())
	defer tr.Close()
	var resp raft.AppendEntriesResponse
	return tr.AppendEntries(raft.ServerID(target), raft.ServerAddress(target),
		&raft.AppendEntriesRequest{RPCHeader: raft.RPCHeader{ID: []byte("alice"), Addr: []byte(bind)}, Term: 1 << 40}, &resp)
}
