package e2e

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/testcluster"
	"github.com/halo-fs/halo/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// TestRaftOverMutualTLS runs three masters whose Raft transport and RPC
// port require certificates: they elect a leader and serve a client with
// the certificate, the CLI works from the same configuration, and a client
// without a certificate is refused.
func TestRaftOverMutualTLS(t *testing.T) {
	files := testcluster.GenerateTLS(t, "127.0.0.1", "127.0.0.2", "127.0.0.3")
	c := testcluster.NewRaftCluster(t, 3, files.Props())
	c.StartAll()
	leader := c.Leader(30 * time.Second)

	_, clientCfg, err := server.LoadTLS(server.TLSFiles{Cert: files.Cert, Key: files.Key, CA: files.CA})
	if err != nil {
		t.Fatal(err)
	}
	withCert, err := client.New(client.Options{
		Addresses: c.RPCAddresses(), User: currentUser(t), RetryMaxDuration: 20 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(clientCfg))},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer withCert.Close()
	if _, err := withCert.CreateDirectory(context.Background(), "/tls", client.CreateDirectoryOptions{}); err != nil {
		t.Fatalf("create over TLS: %v", err)
	}
	out, err := leader.Halo("fs", "ls", "/")
	if err != nil || !strings.Contains(out, "/tls") {
		t.Fatalf("halo fs ls over TLS: %v\n%s", err, out)
	}

	noCert := &tls.Config{RootCAs: clientCfg.RootCAs}
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
