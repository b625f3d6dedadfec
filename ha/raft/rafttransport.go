package raft

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/hashicorp/go-hclog"
	hraft "github.com/hashicorp/raft"
)

// Members is who may connect to the embedded journal port: the
// configured quorum and whoever the Raft configuration has added since.
type Members struct {
	configured []string
	current    atomic.Pointer[func() []string]
}

// NewMembers starts from alluxio.master.embedded.journal.addresses.
func NewMembers(configured []string) *Members {
	return &Members{configured: configured}
}

// Follow adds the members of r's Raft configuration, as quorum add and
// remove change it.
func (rm *Members) Follow(r *Replicator) {
	fn := r.memberAddresses
	rm.current.Store(&fn)
}

func (rm *Members) addresses() []string {
	out := append([]string(nil), rm.configured...)
	if fn := rm.current.Load(); fn != nil {
		out = append(out, (*fn)()...)
	}
	return out
}

// checkCertificate accepts a peer whose certificate names the host of a
// member: a certificate of the same CA issued to a user or to another
// cluster's master does not make its holder a Raft peer.
func (rm *Members) checkCertificate(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("embedded journal peer sent no certificate")
	}
	return certificateNamesMember(cs.PeerCertificates[0], rm.addresses())
}

func certificateNamesMember(cert *x509.Certificate, members []string) error {
	for _, addr := range members {
		host, _, err := net.SplitHostPort(addr)
		if err == nil && cert.VerifyHostname(host) == nil {
			return nil
		}
	}
	return fmt.Errorf("embedded journal peer certificate %q (names %v %v) is for no member of the quorum %v",
		cert.Subject.CommonName, cert.DNSNames, cert.IPAddresses, members)
}

// memberAddresses lists the addresses in the latest Raft configuration.
func (r *Replicator) memberAddresses() []string {
	if r.raft == nil {
		return nil
	}
	cf := r.raft.GetConfiguration()
	if cf.Error() != nil {
		return nil
	}
	var out []string
	for _, s := range cf.Configuration().Servers {
		out = append(out, string(s.Address))
	}
	return out
}

// secretStreamLayer carries Raft over plain TCP whose connections first
// prove the shared secret (SECRET mode without TLS): a process that does
// not hold it cannot send AppendEntries, votes or snapshots.
type secretStreamLayer struct {
	net.Listener
	advertise net.Addr
	secret    []byte
	log       hclog.Logger
}

// NewSecretStreamLayer listens on bind for Raft peers that prove secret.
func NewSecretStreamLayer(bind, advertise string, secret []byte, log hclog.Logger) (hraft.StreamLayer, error) {
	addr, err := net.ResolveTCPAddr("tcp", advertise)
	if err != nil {
		return nil, fmt.Errorf("embedded journal address %s: %w", advertise, err)
	}
	l, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("embedded journal port %s: %w", bind, err)
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &secretStreamLayer{Listener: l, advertise: addr, secret: secret, log: log}, nil
}

func (s *secretStreamLayer) Addr() net.Addr { return s.advertise }

// Accept hands the connection over at once and checks the proof on its
// first read, as tls.Server does, so that one slow peer cannot hold up
// the accept loop.
func (s *secretStreamLayer) Accept() (net.Conn, error) {
	conn, err := s.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &provenOnFirstUse{Conn: conn, layer: s}, nil
}

func (s *secretStreamLayer) Dial(address hraft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", string(address), timeout)
	if err != nil {
		return nil, err
	}
	if err := sharedsecret.Prove(conn, s.secret); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// provenOnFirstUse is an accepted connection that carries nothing until
// its peer proved the secret.
type provenOnFirstUse struct {
	net.Conn
	layer *secretStreamLayer
	once  sync.Once
	next  net.Conn
	err   error
}

func (c *provenOnFirstUse) verify() {
	next, refusal, err := sharedsecret.Verify(c.Conn, c.layer.secret)
	if err == nil && refusal != nil {
		c.layer.log.Warn("refused an embedded journal peer", "remote", c.Conn.RemoteAddr().String(), "reason", refusal)
		err = fmt.Errorf("embedded journal peer %s refused: %w", c.Conn.RemoteAddr(), refusal)
	}
	if err != nil {
		c.Conn.Close()
		c.err = err
		return
	}
	c.next = next
}

func (c *provenOnFirstUse) Read(p []byte) (int, error) {
	c.once.Do(c.verify)
	if c.err != nil {
		return 0, c.err
	}
	return c.next.Read(p)
}

func (c *provenOnFirstUse) Write(p []byte) (int, error) {
	c.once.Do(c.verify)
	if c.err != nil {
		return 0, c.err
	}
	return c.next.Write(p)
}
