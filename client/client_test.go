package client

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
)

// scriptedMaster is an in-process gRPC server of the Alluxio services the
// client calls, whose answers a test scripts call by call. It checks the
// client, not the master: it has no namespace. Its version probe answers
// as a primary or refuses as a standby; it authenticates channels as a
// master does.
type scriptedMaster struct {
	alluxiopb.UnimplementedFileSystemMasterClientServiceServer
	alluxiopb.UnimplementedServiceVersionClientServiceServer
	alluxiopb.UnimplementedSaslAuthenticationServiceServer
	halopb.UnimplementedHaloServiceServer
	addr string
	info *halopb.MasterInfo

	mu          sync.Mutex
	steps       []step // consumed one per call; when empty, calls succeed
	calls       []call
	listedAfter []string          // the startAfter of every listing asked for
	channels    map[string]string // channel id to its user
	channelIDs  []string          // every channel id sent, call by call
	loadTypes   []alluxiopb.LoadMetadataPType
}

func (m *scriptedMaster) noteLoadType(t alluxiopb.LoadMetadataPType) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loadTypes = append(m.loadTypes, t)
}

// step is what one call does: hang until the caller's deadline, or answer
// with err (nil for success).
type step struct {
	hang bool
	err  error
}

type call struct {
	method string
	opID   opID
	user   string
}

var hang = step{hang: true}

func fail(err error) step { return step{err: rpcerr.ToGRPC(err)} }

func startMaster(t *testing.T, state string, steps ...step) *scriptedMaster {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &scriptedMaster{addr: lis.Addr().String(), steps: steps, channels: map[string]string{}}
	m.info = &halopb.MasterInfo{State: state, Version: "test"}
	srv := grpc.NewServer()
	alluxiopb.RegisterFileSystemMasterClientServiceServer(srv, m)
	alluxiopb.RegisterServiceVersionClientServiceServer(srv, m)
	alluxiopb.RegisterSaslAuthenticationServiceServer(srv, m)
	halopb.RegisterHaloServiceServer(srv, m)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return m
}

func (m *scriptedMaster) next(ctx context.Context, method string, common *alluxiopb.FileSystemMasterCommonPOptions) error {
	s := m.take(ctx, method, common)
	if s.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	return s.err
}

// take records a call, with its operation id and its channel's user, and
// returns its step.
func (m *scriptedMaster) take(ctx context.Context, method string, common *alluxiopb.FileSystemMasterCommonPOptions) step {
	md, _ := metadata.FromIncomingContext(ctx)
	c := call{method: method}
	if id := common.GetOperationId(); id != nil {
		c.opID = opID{hi: uint64(id.GetMostSignificantBits()), lo: uint64(id.GetLeastSignificantBits())}
		if seq := md.Get(OpSeqMetadataKey); len(seq) == 1 {
			c.opID.seq, _ = strconv.ParseUint(seq[0], 10, 64)
			c.opID.lo -= c.opID.seq
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch := md.Get(ChannelMetadataKey); len(ch) == 1 {
		c.user = m.channels[ch[0]]
		m.channelIDs = append(m.channelIDs, ch[0])
	}
	m.calls = append(m.calls, c)
	var s step
	if len(m.steps) > 0 {
		s = m.steps[0]
		m.steps = m.steps[1:]
	}
	return s
}

func (m *scriptedMaster) recorded() []call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]call(nil), m.calls...)
}

func (m *scriptedMaster) GetServiceVersion(context.Context, *alluxiopb.GetServiceVersionPRequest) (*alluxiopb.GetServiceVersionPResponse, error) {
	if m.info.State != string(state.Primary) {
		return nil, rpcerr.ToGRPC(fserr.New(fserr.NotLeader, "this master is a standby"))
	}
	return &alluxiopb.GetServiceVersionPResponse{Version: proto.Int64(2)}, nil
}

func (m *scriptedMaster) Authenticate(stream grpc.BidiStreamingServer[alluxiopb.SaslMessage, alluxiopb.SaslMessage]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	parts := splitNUL(first.GetMessage())
	m.mu.Lock()
	m.channels[first.GetClientId()] = parts[1]
	m.mu.Unlock()
	if err := stream.Send(&alluxiopb.SaslMessage{MessageType: alluxiopb.SaslMessageType_SUCCESS.Enum()}); err != nil {
		return err
	}
	_, err = stream.Recv()
	return err
}

func splitNUL(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return append(out, string(b[start:]))
}

func (m *scriptedMaster) GetMasterInfo(context.Context, *halopb.Empty) (*halopb.MasterInfo, error) {
	return m.info, nil
}

func (m *scriptedMaster) CreateFile(ctx context.Context, req *alluxiopb.CreateFilePRequest) (*alluxiopb.CreateFilePResponse, error) {
	if err := m.next(ctx, "CreateFile", req.GetOptions().GetCommonOptions()); err != nil {
		return nil, err
	}
	return &alluxiopb.CreateFilePResponse{FileInfo: &alluxiopb.FileInfo{Path: req.Path}}, nil
}

func (m *scriptedMaster) Remove(ctx context.Context, req *alluxiopb.DeletePRequest) (*alluxiopb.DeletePResponse, error) {
	if err := m.next(ctx, "Remove", req.GetOptions().GetCommonOptions()); err != nil {
		return nil, err
	}
	return &alluxiopb.DeletePResponse{}, nil
}

func (m *scriptedMaster) Rename(ctx context.Context, req *alluxiopb.RenamePRequest) (*alluxiopb.RenamePResponse, error) {
	if err := m.next(ctx, "Rename", req.GetOptions().GetCommonOptions()); err != nil {
		return nil, err
	}
	return &alluxiopb.RenamePResponse{}, nil
}

func (m *scriptedMaster) GetStatus(ctx context.Context, req *alluxiopb.GetStatusPRequest) (*alluxiopb.GetStatusPResponse, error) {
	m.noteLoadType(req.GetOptions().GetLoadMetadataType())
	if err := m.next(ctx, "GetStatus", nil); err != nil {
		return nil, err
	}
	return &alluxiopb.GetStatusPResponse{FileInfo: &alluxiopb.FileInfo{Path: req.Path}}, nil
}

// ListStatusPartial lists three entries in batches of two, from after the
// request's startAfter.
func (m *scriptedMaster) ListStatusPartial(ctx context.Context, req *alluxiopb.ListStatusPartialPRequest) (*alluxiopb.ListStatusPartialPResponse, error) {
	after := req.GetOptions().GetStartAfter()
	m.noteLoadType(req.GetOptions().GetOptions().GetLoadMetadataType())
	m.mu.Lock()
	m.listedAfter = append(m.listedAfter, after)
	m.mu.Unlock()
	if err := m.next(ctx, "ListStatusPartial", nil); err != nil {
		return nil, err
	}
	var infos []*alluxiopb.FileInfo
	for _, name := range []string{"a", "b", "c"} {
		if p := req.GetPath() + "/" + name; p > after {
			infos = append(infos, &alluxiopb.FileInfo{Path: proto.String(p)})
		}
	}
	n := min(2, len(infos))
	return &alluxiopb.ListStatusPartialPResponse{FileInfos: infos[:n], IsTruncated: proto.Bool(len(infos) > n)}, nil
}

// staticFinder always names one address, to aim attempts at it directly.
type staticFinder struct{ addr string }

func (f staticFinder) Leader(context.Context) (string, error) { return f.addr, nil }
func (f staticFinder) Report(string, error)                   {}

func newTestClient(t *testing.T, opts Options) *Client {
	t.Helper()
	if opts.RetryBaseSleep == 0 {
		opts.RetryBaseSleep = time.Millisecond
		opts.RetryMaxSleep = 5 * time.Millisecond
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func sameOpID(t *testing.T, calls []call) {
	t.Helper()
	for _, c := range calls[1:] {
		if c.opID != calls[0].opID {
			t.Fatalf("retry carried op id %v, first attempt %v", c.opID, calls[0].opID)
		}
	}
	if calls[0].opID.seq == 0 {
		t.Fatalf("mutation sent without an operation id")
	}
}

func TestRetryAfterUnavailableReusesOperationID(t *testing.T) {
	m := startMaster(t, string(state.Primary), fail(fserr.New(fserr.Unavailable, "catching up")), fail(fserr.New(fserr.NotLeader, "stepping down")))
	c := newTestClient(t, Options{Addresses: []string{m.addr}, User: "alice", RetryMaxDuration: time.Minute})

	info, err := c.CreateFile(context.Background(), "/f", CreateFileOptions{})
	if err != nil {
		t.Fatalf("CreateFile: %v", err)
	}
	if info.GetPath() != "/f" {
		t.Errorf("CreateFile returned %v", info)
	}
	calls := m.recorded()
	if len(calls) != 3 {
		t.Fatalf("master saw %d calls, want 3", len(calls))
	}
	sameOpID(t, calls)
	for _, c := range calls {
		if c.user != "alice" {
			t.Errorf("call carried user %q, want alice", c.user)
		}
	}

	// The next mutation gets a new sequence number from the same client.
	if _, err := c.CreateFile(context.Background(), "/g", CreateFileOptions{}); err != nil {
		t.Fatal(err)
	}
	calls = m.recorded()
	last := calls[len(calls)-1].opID
	if last.seq <= calls[0].opID.seq || last.hi != calls[0].opID.hi || last.lo != calls[0].opID.lo {
		t.Errorf("second mutation op id %v, first %v", last, calls[0].opID)
	}
}

func TestNotLeaderHintIsFollowedWithoutSleeping(t *testing.T) {
	leader := startMaster(t, string(state.Primary))
	stale := startMaster(t, string(state.Primary),
		fail(&fserr.Error{Code: fserr.NotLeader, Message: "not the leader", LeaderHint: leader.addr}))
	// Any sleep would overrun the one-millisecond budget and fail the call,
	// so success proves the hint was tried at once.
	c := newTestClient(t, Options{
		Addresses:        []string{stale.addr},
		RetryBaseSleep:   time.Hour,
		RetryMaxSleep:    time.Hour,
		RetryMaxDuration: time.Millisecond,
	})
	if _, err := c.CreateFile(context.Background(), "/f", CreateFileOptions{}); err != nil {
		t.Fatalf("CreateFile: %v", err)
	}
	first, second := stale.recorded(), leader.recorded()
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("stale master saw %d calls, leader %d; want 1 and 1", len(first), len(second))
	}
	sameOpID(t, append(first, second...))
	if got, _ := c.finder.Leader(context.Background()); got != leader.addr {
		t.Errorf("finder leader = %s after the redirect, want %s", got, leader.addr)
	}
}

func TestDefiniteErrorsAreNotRetried(t *testing.T) {
	for _, code := range []fserr.Code{fserr.NotFound, fserr.AlreadyExists, fserr.InvalidPath, fserr.PermissionDenied, fserr.DirectoryNotEmpty} {
		t.Run(code.String(), func(t *testing.T) {
			m := startMaster(t, string(state.Primary), fail(fserr.New(code, "scripted")))
			c := newTestClient(t, Options{Addresses: []string{m.addr}, RetryMaxDuration: time.Minute})
			_, err := c.CreateFile(context.Background(), "/f", CreateFileOptions{})
			if fserr.CodeOf(err) != code {
				t.Fatalf("CreateFile error %v, want code %v", err, code)
			}
			if n := len(m.recorded()); n != 1 {
				t.Errorf("master saw %d calls, want 1", n)
			}
		})
	}
}

// An OutcomeUnknown the master marks final (the exactly-once table forgot
// the id) is the answer every retry would get: the client reports it at
// once instead of journaling a retry for the rest of its budget.
func TestFinalOutcomeUnknownIsNotRetried(t *testing.T) {
	forgotten := &fserr.Error{Code: fserr.OutcomeUnknown, Message: "id forgotten", Final: true}
	m := startMaster(t, string(state.Primary), fail(forgotten), fail(forgotten), fail(forgotten))
	c := newTestClient(t, Options{Addresses: []string{m.addr}, RetryMaxDuration: time.Minute})
	_, err := c.CreateFile(context.Background(), "/f", CreateFileOptions{})
	if fserr.CodeOf(err) != fserr.OutcomeUnknown {
		t.Fatalf("CreateFile error %v, want OutcomeUnknown", err)
	}
	if n := len(m.recorded()); n != 1 {
		t.Errorf("master saw %d calls, want 1", n)
	}
}

func TestRetriesRunningOut(t *testing.T) {
	// Each script holds more steps than the budget has attempts (the
	// master answers OK once a script runs out).
	tests := []struct {
		name     string
		steps    []step
		mutation bool
		want     fserr.Code
	}{
		{"hung mutation is outcome unknown", []step{hang, hang, hang, hang, hang, hang, hang, hang}, true, fserr.OutcomeUnknown},
		{"hung read is unavailable", []step{hang, hang, hang, hang, hang, hang, hang, hang}, false, fserr.Unavailable},
		{"one hung attempt keeps a mutation uncertain", append([]step{hang}, repeat(fail(fserr.New(fserr.NotLeader, "no")), 1<<16)...), true, fserr.OutcomeUnknown},
		{"refused mutation is unavailable", repeat(fail(fserr.New(fserr.NotLeader, "no")), 1<<16), true, fserr.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := startMaster(t, string(state.Primary), tt.steps...)
			c := newTestClient(t, Options{
				Addresses:        []string{m.addr},
				AttemptTimeout:   200 * time.Millisecond,
				RetryMaxDuration: time.Second,
			})
			// Find the leader first, so that the budget is spent on
			// attempts and not on the first connection.
			if _, err := c.Leader(context.Background()); err != nil {
				t.Fatal(err)
			}
			var err error
			if tt.mutation {
				_, err = c.CreateFile(context.Background(), "/f", CreateFileOptions{})
			} else {
				_, err = c.GetStatus(context.Background(), "/f")
			}
			if fserr.CodeOf(err) != tt.want {
				t.Fatalf("error %v (code %v), want code %v", err, fserr.CodeOf(err), tt.want)
			}
			calls := m.recorded()
			if len(calls) < 2 {
				t.Fatalf("master saw %d calls, want retries", len(calls))
			}
			if tt.mutation {
				sameOpID(t, calls)
			}
		})
	}
}

func repeat(s step, n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestCallerDeadlineMidMutationIsOutcomeUnknown(t *testing.T) {
	m := startMaster(t, string(state.Primary), hang)
	c := newTestClient(t, Options{Addresses: []string{m.addr}, RetryMaxDuration: time.Minute})
	if _, err := c.Leader(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := c.Delete(ctx, "/f", false)
	if fserr.CodeOf(err) != fserr.OutcomeUnknown {
		t.Fatalf("Delete error %v, want OutcomeUnknown", err)
	}
}

// deadAddress is a local address nothing listens on.
func deadAddress(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

func TestUnreachableMasterIsUnavailableNotUnknown(t *testing.T) {
	dead := deadAddress(t)
	c := newTestClient(t, Options{
		Finder:           staticFinder{addr: dead},
		RetryMaxDuration: 200 * time.Millisecond,
	})
	err := c.Rename(context.Background(), "/a", "/b")
	if fserr.CodeOf(err) != fserr.Unavailable {
		t.Fatalf("Rename against a closed port: %v, want Unavailable (nothing was sent)", err)
	}
}

func TestNoLeaderFound(t *testing.T) {
	standby := startMaster(t, string(state.Standby))
	c := newTestClient(t, Options{Addresses: []string{standby.addr}, RetryMaxDuration: 50 * time.Millisecond})
	if _, err := c.GetStatus(context.Background(), "/"); fserr.CodeOf(err) != fserr.Unavailable {
		t.Fatalf("GetStatus with only a standby: %v, want Unavailable", err)
	}
	if _, err := c.Leader(context.Background()); fserr.CodeOf(err) != fserr.Unavailable {
		t.Fatalf("Leader with only a standby: %v, want Unavailable", err)
	}
	if len(standby.recorded()) != 0 {
		t.Errorf("the standby was sent a file system call")
	}
	info, err := c.MasterInfoFrom(context.Background(), standby.addr)
	if err != nil || info.GetState() != string(state.Standby) {
		t.Fatalf("MasterInfoFrom standby = %v, %v", info, err)
	}
}

// TestListStatusPagesAsksPageByPage: each page is one partial listing,
// after the last entry received, retried on its own.
func TestListStatusPagesAsksPageByPage(t *testing.T) {
	m := startMaster(t, string(state.Primary),
		fail(fserr.New(fserr.Unavailable, "stepping down")),
		step{},
		fail(fserr.New(fserr.Unavailable, "connection reset")))
	c := newTestClient(t, Options{Addresses: []string{m.addr}, RetryMaxDuration: time.Minute})
	infos, err := c.ListStatus(context.Background(), "/d", false)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, i := range infos {
		paths = append(paths, i.GetPath())
	}
	if want := []string{"/d/a", "/d/b", "/d/c"}; !slices.Equal(paths, want) {
		t.Fatalf("ListStatus = %v, want %v", paths, want)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if want := []string{"", "", "/d/b", "/d/b"}; !slices.Equal(m.listedAfter, want) {
		t.Fatalf("listings started after %q, want %q: each page resumes after the last entry received", m.listedAfter, want)
	}
}

func TestListStatusPagesStopsWhenTheCallerDoes(t *testing.T) {
	m := startMaster(t, string(state.Primary))
	c := newTestClient(t, Options{Addresses: []string{m.addr}, RetryMaxDuration: time.Minute})
	stop := fserr.New(fserr.Unavailable, "caller's own reason")
	pages := 0
	err := c.ListStatusPages(context.Background(), "/d", false, func([]*halopb.FileInfo) error {
		pages++
		return stop
	})
	if err != stop || pages != 1 {
		t.Fatalf("ListStatusPages = %v after %d pages, want the caller's error after 1", err, pages)
	}
}

func TestNewNeedsAddresses(t *testing.T) {
	if _, err := New(Options{}); fserr.CodeOf(err) != fserr.InvalidArgument {
		t.Fatalf("New without addresses: %v, want InvalidArgument", err)
	}
}

func TestClosedClientFailsAtOnce(t *testing.T) {
	m := startMaster(t, string(state.Primary))
	c := newTestClient(t, Options{Addresses: []string{m.addr}, RetryMaxDuration: time.Minute})
	if _, err := c.GetStatus(context.Background(), "/"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetStatus(context.Background(), "/"); err == nil {
		t.Fatal("GetStatus on a closed client succeeded")
	}
}

// TestLostChannelIsAuthenticatedAgain: a master that no longer knows the
// call's channel (it restarted, or the authentication stream ended)
// refuses it UNAUTHENTICATED before doing anything; the client
// authenticates a new channel and retries, and the mutation is not
// reported as possibly applied.
func TestLostChannelIsAuthenticatedAgain(t *testing.T) {
	m := startMaster(t, string(state.Primary), fail(fserr.New(fserr.Unauthenticated, "channel is not authenticated")))
	c := newTestClient(t, Options{Addresses: []string{m.addr}, User: "alice", RetryMaxDuration: time.Minute})
	if err := c.Delete(context.Background(), "/f", false); err != nil {
		t.Fatalf("Delete after the master lost the channel: %v", err)
	}
	calls := m.recorded()
	if len(calls) != 2 || calls[1].user != "alice" {
		t.Fatalf("master saw %v, want a refused call and a retry as alice", calls)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.channelIDs) != 2 || m.channelIDs[0] == m.channelIDs[1] {
		t.Fatalf("calls came on channels %v, want the retry on a new one", m.channelIDs)
	}
}

// TestUnreachableMasterFailsChannelAuthenticationAsNotSent: a channel
// that cannot be authenticated because the master is unreachable makes
// the call Unavailable, not outcome unknown: nothing was sent.
func TestUnreachableMasterFailsChannelAuthenticationAsNotSent(t *testing.T) {
	dead := deadAddress(t)
	c := newTestClient(t, Options{
		Finder:           staticFinder{addr: dead},
		User:             "alice",
		RetryMaxDuration: 200 * time.Millisecond,
	})
	err := c.Delete(context.Background(), "/a", false)
	if fserr.CodeOf(err) != fserr.Unavailable {
		t.Fatalf("Delete against a closed port with a channel to authenticate: %v, want Unavailable (nothing was sent)", err)
	}
}

// GetStatus and listings ask the master for the metadata load type the
// client is configured with (alluxio.user.file.metadata.load.type), NEVER
// when it is not set; an unknown type is refused naming the property.
func TestReadsAskForTheConfiguredMetadataLoadType(t *testing.T) {
	for _, tc := range []struct {
		configured string
		want       alluxiopb.LoadMetadataPType
	}{
		{"", alluxiopb.LoadMetadataPType_NEVER},
		{"ONCE", alluxiopb.LoadMetadataPType_ONCE},
		{"always", alluxiopb.LoadMetadataPType_ALWAYS},
	} {
		m := startMaster(t, string(state.Primary))
		c := newTestClient(t, Options{Finder: staticFinder{addr: m.addr}, MetadataLoadType: tc.configured})
		if _, err := c.GetStatus(context.Background(), "/f"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListStatus(context.Background(), "/d", false); err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		got := slices.Clone(m.loadTypes)
		m.mu.Unlock()
		if len(got) == 0 || slices.ContainsFunc(got, func(l alluxiopb.LoadMetadataPType) bool { return l != tc.want }) {
			t.Errorf("configured %q: the master was asked for load types %v, want %v only", tc.configured, got, tc.want)
		}
	}
	_, err := New(Options{Addresses: []string{"127.0.0.1:1"}, MetadataLoadType: "SOMETIMES"})
	if fserr.CodeOf(err) != fserr.InvalidArgument || !strings.Contains(err.Error(), "alluxio.user.file.metadata.load.type") {
		t.Errorf("an unknown metadata load type: %v, want InvalidArgument naming the property", err)
	}
}
