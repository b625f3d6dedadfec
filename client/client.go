// Package client is Halo's Go client library. It speaks Alluxio 2.9's
// protocol, as Alluxio's own client does, plus Halo's small HaloService
// for what that protocol cannot carry: it finds the primary by asking each
// master for its meta service's version (a standby refuses), authenticates
// each connection's channel (SIMPLE, over SECRET's or TLS's transport),
// tags every mutation with an operation id, and retries across failovers so
// that callers see either a definite answer or "outcome unknown", never a
// false failure (DESIGN.md contracts 3 and 7).
//
// Retries: a mutation's operation id is Alluxio's commonOptions.operationId
// set to the client's random 128-bit id, with the operation's sequence
// number in the OpSeqMetadataKey header. Every attempt of one call sends
// the same id, so a master that applied an earlier attempt answers the
// retry with the first result (a create is not refused as "already
// exists" because of itself). A master whose exactly-once table has since
// forgotten the id answers OutcomeUnknown, which the client reports at
// once. A call made of two operations (CreateFile with Completed: create,
// then complete) gives each its own id: if the first succeeds and the
// second's outcome is unknown, so is the call's.
package client

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
)

// Defaults for Options, taken from Alluxio's alluxio.user.rpc.retry.* settings.
const (
	DefaultRetryBaseSleep     = 50 * time.Millisecond
	DefaultRetryMaxSleep      = 3 * time.Second
	DefaultRetryMaxDuration   = 2 * time.Minute
	DefaultAttemptTimeout     = 30 * time.Second
	DefaultLeaderProbeTimeout = 3 * time.Second
	// DefaultListBatchSize is how many entries one partial listing asks
	// for.
	DefaultListBatchSize = 1000
)

// Options configures a Client. Zero values take the defaults above.
type Options struct {
	// Addresses are the masters' RPC addresses, host:port
	// (alluxio.master.rpc.addresses).
	Addresses []string
	// Finder locates the leader; nil means a polling finder over Addresses.
	Finder LeaderFinder
	// User is the user a connection's channel authenticates as (SIMPLE
	// and SECRET).
	User string
	// Authentication is alluxio.security.authentication.type: NOSASL and
	// CERTIFICATE make no channel authentication; "" means SIMPLE.
	Authentication string
	// RetryBaseSleep and RetryMaxSleep bound the exponential backoff
	// between attempts.
	RetryBaseSleep time.Duration
	RetryMaxSleep  time.Duration
	// RetryMaxDuration is how long one call keeps retrying in total.
	RetryMaxDuration time.Duration
	// AttemptTimeout is the deadline of a single attempt.
	AttemptTimeout time.Duration
	// LeaderProbeTimeout bounds each version probe of the default
	// finder, so that one hung master does not stall leader discovery.
	LeaderProbeTimeout time.Duration
	// ListBatchSize is how many entries each ListStatusPartial asks for.
	ListBatchSize int32
	Logger        hclog.Logger
	// DialOptions are appended to the client's own (insecure transport by
	// default; pass grpc.WithTransportCredentials to override it).
	DialOptions []grpc.DialOption
	// TLS, when set, is the client side of mutual TLS (its certificate is
	// the user in CERTIFICATE mode).
	TLS *tls.Config
	// Secret, when set, is proved on every connection (SECRET mode).
	Secret []byte
	// MetadataLoadType is alluxio.user.file.metadata.load.type, any case:
	// whether GetStatus, Exists and listings have the master load what
	// only the UFS has, on first access (ONCE) or on every listing
	// (ALWAYS), or never (NEVER). "" means NEVER, so that a program's
	// reads change the namespace only when it asks (LoadMetadata); the
	// CLI passes the property, ONCE by default as in Alluxio.
	MetadataLoadType string
}

func (o Options) withDefaults() Options {
	if o.RetryBaseSleep <= 0 {
		o.RetryBaseSleep = DefaultRetryBaseSleep
	}
	if o.RetryMaxSleep <= 0 {
		o.RetryMaxSleep = DefaultRetryMaxSleep
	}
	if o.RetryMaxSleep < o.RetryBaseSleep {
		o.RetryMaxSleep = o.RetryBaseSleep
	}
	if o.RetryMaxDuration <= 0 {
		o.RetryMaxDuration = DefaultRetryMaxDuration
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = DefaultAttemptTimeout
	}
	if o.LeaderProbeTimeout <= 0 {
		o.LeaderProbeTimeout = DefaultLeaderProbeTimeout
	}
	if o.ListBatchSize <= 0 {
		o.ListBatchSize = DefaultListBatchSize
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return o
}

// Client talks to a Halo master cluster. It is safe for concurrent use.
type Client struct {
	opts   Options
	finder LeaderFinder
	ops    *opIDSource
	logger hclog.Logger
	// loadType is Options.MetadataLoadType, parsed.
	loadType *alluxiopb.LoadMetadataPType

	mu      sync.Mutex
	conns   map[string]*masterConn
	closed  bool
	workers workerPool
}

// masterConn is the connection to one master and the stubs of the
// services the client calls on it.
type masterConn struct {
	conn     *grpc.ClientConn
	versions alluxiopb.ServiceVersionClientServiceClient
	fs       alluxiopb.FileSystemMasterClientServiceClient
	meta     alluxiopb.MetaMasterClientServiceClient
	journal  alluxiopb.JournalMasterClientServiceClient
	blocks   alluxiopb.BlockMasterClientServiceClient
	halo     halopb.HaloServiceClient
}

// New returns a client for the masters in opts. It does not connect:
// connections are made lazily, one per master, and reused.
func New(opts Options) (*Client, error) {
	opts = opts.withDefaults()
	if opts.Finder == nil && len(opts.Addresses) == 0 {
		return nil, fserr.New(fserr.InvalidArgument, "no master addresses configured (alluxio.master.rpc.addresses)")
	}
	loadType, err := parseLoadType(opts.MetadataLoadType)
	if err != nil {
		return nil, err
	}
	ops, err := newOpIDSource(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating client id: %w", err)
	}
	c := &Client{
		opts:     opts,
		ops:      ops,
		loadType: loadType,
		conns:    make(map[string]*masterConn),
	}
	c.logger = opts.Logger.Named("client").With("client_id", ops.clientID())
	c.finder = opts.Finder
	if c.finder == nil {
		c.finder = newPollingFinder(opts.Addresses, c.conn, opts.LeaderProbeTimeout)
	}
	return c, nil
}

// ClientID is this client's random 128-bit id in hex, the first part of
// every operation id it sends.
func (c *Client) ClientID() string { return c.ops.clientID() }

// Close closes every connection, and the finder if it holds one of its own
// (a ZooKeeper session). Calls in flight fail.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.closeWorkers()
	if closer, ok := c.finder.(interface{ Close() }); ok {
		closer.Close()
	}
	var errs []error
	for addr, mc := range c.conns {
		if err := mc.conn.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing connection to %s: %w", addr, err))
		}
	}
	c.conns = map[string]*masterConn{}
	return errors.Join(errs...)
}

// conn returns the connection to addr, creating it on first use.
func (c *Client) conn(addr string) (*masterConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fserr.New(fserr.Unavailable, "client is closed")
	}
	if mc, ok := c.conns[addr]; ok {
		return mc, nil
	}
	conn, err := grpc.NewClient(addr, c.dialOptions()...)
	if err != nil {
		return nil, fserr.New(fserr.InvalidArgument, "bad master address %q: %v", addr, err)
	}
	mc := &masterConn{
		conn:     conn,
		versions: alluxiopb.NewServiceVersionClientServiceClient(conn),
		fs:       alluxiopb.NewFileSystemMasterClientServiceClient(conn),
		meta:     alluxiopb.NewMetaMasterClientServiceClient(conn),
		journal:  alluxiopb.NewJournalMasterClientServiceClient(conn),
		blocks:   alluxiopb.NewBlockMasterClientServiceClient(conn),
		halo:     halopb.NewHaloServiceClient(conn),
	}
	c.conns[addr] = mc
	return mc, nil
}

// dialOptions are a new connection's: the transport's credentials, and
// its own channel authentication when the authentication type needs one.
func (c *Client) dialOptions() []grpc.DialOption {
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(TransportCredentials(c.opts.TLS, c.opts.Secret)),
		// gRPC's own reconnect backoff grows to two minutes by default;
		// a master restarted during a failover must be usable again as
		// soon as our retry loop comes back to it.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  c.opts.RetryBaseSleep,
				Multiplier: 1.6,
				Jitter:     0.2,
				MaxDelay:   c.opts.RetryMaxSleep,
			},
			MinConnectTimeout: c.opts.LeaderProbeTimeout,
		}),
	}
	if needsChannel(c.opts.Authentication, c.opts.User) {
		auth := &channelAuth{user: c.opts.User}
		opts = append(opts, grpc.WithChainUnaryInterceptor(auth.unary))
	}
	return append(opts, c.opts.DialOptions...)
}

// TransportCredentials are what a connection to a master's RPC port
// needs: mutual TLS when tlsConfig is set, else none, with the shared
// secret's proof on top when secret is set. Clients and masters calling
// a peer dial the same way.
func TransportCredentials(tlsConfig *tls.Config, secret []byte) credentials.TransportCredentials {
	creds := insecure.NewCredentials()
	if tlsConfig != nil {
		creds = credentials.NewTLS(tlsConfig)
	}
	if secret != nil {
		creds = sharedsecret.NewCredentials(creds, secret)
	}
	return creds
}
