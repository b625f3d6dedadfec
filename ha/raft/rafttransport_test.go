package raft

import (
	"crypto/tls"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testcerts"
	"github.com/hashicorp/go-hclog"
	hraft "github.com/hashicorp/raft"
)

// testSecret is the shared secret the Raft port tests use.
var testSecret = []byte("a test secret of more than sixteen bytes")

// answerAppends acknowledges every AppendEntries the transport receives
// and counts them on got.
func answerAppends(t *testing.T, tr *hraft.NetworkTransport) <-chan struct{} {
	got := make(chan struct{}, 16)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case rpc := <-tr.Consumer():
				got <- struct{}{}
				rpc.Respond(&hraft.AppendEntriesResponse{Success: true}, nil)
			case <-stop:
				return
			}
		}
	}()
	return got
}

func transportOver(t *testing.T, layer hraft.StreamLayer) *hraft.NetworkTransport {
	tr := hraft.NewNetworkTransportWithLogger(layer, 2, 5*time.Second, hclog.NewNullLogger())
	t.Cleanup(func() { tr.Close() })
	return tr
}

// sendAppend sends one AppendEntries from tr to target.
func sendAppend(tr *hraft.NetworkTransport, target string) error {
	var resp hraft.AppendEntriesResponse
	return tr.AppendEntries(hraft.ServerID(target), hraft.ServerAddress(target),
		&hraft.AppendEntriesRequest{RPCHeader: hraft.RPCHeader{ID: []byte("x"), Addr: []byte("x")}, Term: 99}, &resp)
}

// noneArrived fails if the victim's Raft saw any request.
func noneArrived(t *testing.T, got <-chan struct{}, who string) {
	t.Helper()
	select {
	case <-got:
		t.Errorf("an AppendEntries from %s reached Raft", who)
	default:
	}
}

func freeAddr(t *testing.T, host string) string {
	p, err := ports.Free(host)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(host, strconv.Itoa(p))
}

// TestRaftPortRefusesCertificateOfNonMember: with mutual TLS, a peer whose
// certificate chains to the cluster's CA but names no member (a user's
// certificate) cannot send AppendEntries; a member's can.
func TestRaftPortRefusesCertificateOfNonMember(t *testing.T) {
	ca := testcerts.NewCA(t)
	victimAddr := freeAddr(t, "127.0.0.1")
	member := ca.Issue(t, "master", "127.0.0.1")
	outsider := ca.Issue(t, "alice", "127.0.0.5")
	configs := func(c testcerts.Issued) (*tls.Config, *tls.Config) {
		s := &tls.Config{Certificates: []tls.Certificate{c.Cert}, ClientCAs: ca.Pool, ClientAuth: tls.RequireAndVerifyClientCert}
		return s, &tls.Config{Certificates: []tls.Certificate{c.Cert}, RootCAs: ca.Pool}
	}
	members := NewMembers([]string{victimAddr})
	serverCfg, memberClient := configs(member)
	victimLayer, err := NewTLSStreamLayer(victimAddr, victimAddr, serverCfg, memberClient, members)
	if err != nil {
		t.Fatal(err)
	}
	got := answerAppends(t, transportOver(t, victimLayer))

	outsiderServer, outsiderClient := configs(outsider)
	outsiderLayer, err := NewTLSStreamLayer(freeAddr(t, "127.0.0.5"), "127.0.0.5:1", outsiderServer, outsiderClient, NewMembers(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := sendAppend(transportOver(t, outsiderLayer), victimAddr); err == nil {
		t.Error("AppendEntries with a non-member's certificate succeeded")
	}
	noneArrived(t, got, "a non-member")

	peerServer, peerClient := configs(ca.Issue(t, "master", "127.0.0.1"))
	peerLayer, err := NewTLSStreamLayer(freeAddr(t, "127.0.0.1"), "127.0.0.1:1", peerServer, peerClient, members)
	if err != nil {
		t.Fatal(err)
	}
	if err := sendAppend(transportOver(t, peerLayer), victimAddr); err != nil {
		t.Errorf("AppendEntries from a member: %v", err)
	}
}

// TestRaftPortRefusesPeerWithoutSecret: in SECRET mode without TLS, a plain
// Raft transport and one with another secret cannot send AppendEntries; a
// peer with the secret can.
func TestRaftPortRefusesPeerWithoutSecret(t *testing.T) {
	victimAddr := freeAddr(t, "127.0.0.1")
	layer, err := NewSecretStreamLayer(victimAddr, victimAddr, testSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := answerAppends(t, transportOver(t, layer))

	plainAddr := freeAddr(t, "127.0.0.1")
	advertise, _ := net.ResolveTCPAddr("tcp", plainAddr)
	plain, err := hraft.NewTCPTransportWithLogger(plainAddr, advertise, 2, 2*time.Second, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	if err := sendAppend(plain, victimAddr); err == nil {
		t.Error("AppendEntries from a plain TCP peer succeeded")
	}
	noneArrived(t, got, "a plain TCP peer")

	// The peer with the secret goes last: what it sends does reach Raft.
	for _, peer := range []struct {
		name   string
		secret []byte
	}{{"another secret", []byte("another secret, long enough")}, {"the secret", testSecret}} {
		addr := freeAddr(t, "127.0.0.1")
		layer, err := NewSecretStreamLayer(addr, addr, peer.secret, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = sendAppend(transportOver(t, layer), victimAddr)
		if peer.name == "the secret" && err != nil {
			t.Errorf("AppendEntries from a peer with the secret: %v", err)
		}
		if peer.name != "the secret" {
			if err == nil {
				t.Errorf("AppendEntries from a peer with %s succeeded", peer.name)
			}
			noneArrived(t, got, "a peer with "+peer.name)
		}
	}
}
