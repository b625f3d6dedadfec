package worker

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// pinningMaster answers heartbeats with nothing to do, GetPinnedFileIds
// with a fixed list and GetFileInfo with the files it is given.
type pinningMaster struct {
	alluxiopb.UnimplementedFileSystemMasterWorkerServiceServer
	alluxiopb.UnimplementedBlockMasterWorkerServiceServer
	pinned []int64

	mu    sync.Mutex
	files map[int64]*alluxiopb.FileInfo // by file id as workers name files
}

func (p *pinningMaster) GetFileInfo(_ context.Context, req *alluxiopb.GetFileInfoPRequest) (*alluxiopb.GetFileInfoPResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	info := p.files[req.GetFileId()]
	if info == nil {
		return nil, status.Errorf(codes.NotFound, "no file has id %d", req.GetFileId())
	}
	return &alluxiopb.GetFileInfoPResponse{FileInfo: info}, nil
}

func (p *pinningMaster) setFile(id int64, info *alluxiopb.FileInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files[id] = info
}

func (p *pinningMaster) BlockHeartbeat(context.Context, *alluxiopb.BlockHeartbeatPRequest) (*alluxiopb.BlockHeartbeatPResponse, error) {
	return &alluxiopb.BlockHeartbeatPResponse{Command: &alluxiopb.Command{CommandType: alluxiopb.CommandType_Nothing.Enum()}}, nil
}

func (p *pinningMaster) GetPinnedFileIds(context.Context, *alluxiopb.GetPinnedFileIdsPRequest) (*alluxiopb.GetPinnedFileIdsPResponse, error) {
	return &alluxiopb.GetPinnedFileIdsPResponse{PinnedFileIds: p.pinned}, nil
}

// workerMasterServices is a fake master's side of the worker protocol.
type workerMasterServices interface {
	alluxiopb.FileSystemMasterWorkerServiceServer
	alluxiopb.BlockMasterWorkerServiceServer
}

// serveFakeMaster serves master's worker services on loopback and
// returns a connection to them.
func serveFakeMaster(t *testing.T, master workerMasterServices) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	alluxiopb.RegisterFileSystemMasterWorkerServiceServer(srv, master)
	alluxiopb.RegisterBlockMasterWorkerServiceServer(srv, master)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func servePinningMaster(t *testing.T, pinned []int64) (*grpc.ClientConn, *pinningMaster) {
	t.Helper()
	master := &pinningMaster{pinned: pinned, files: map[int64]*alluxiopb.FileInfo{}}
	return serveFakeMaster(t, master), master
}

// memStore opens a store of one MEM tier of quota bytes.
func memStore(t *testing.T, quota int64) *blockstore.Store {
	t.Helper()
	store, err := blockstore.Open(blockstore.Config{Tiers: []blockstore.TierConfig{{
		Alias: "MEM", Dirs: []blockstore.DirConfig{{Path: t.TempDir(), Quota: quota}},
	}}}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// linkedWorker is a worker over store, not serving, with a link to the
// master at conn, as if registered.
func linkedWorker(store *blockstore.Store, conn *grpc.ClientConn, addr string) (*Worker, *link) {
	w := &Worker{cfg: Config{CallTimeout: 10 * time.Second, HeartbeatTimeout: 10 * time.Second}, store: store,
		log: hclog.NewNullLogger(), identity: &Identity{ID: 1}, metrics: newMetrics()}
	return w, linkTo(w, conn, addr)
}

// linkTo makes w a link to the master at conn, as if registered.
func linkTo(w *Worker, conn *grpc.ClientConn, addr string) *link {
	l := newLink(w, addr)
	l.conn, l.channel, l.registered = conn, "channel", true
	return l
}

func writeTestBlock(t *testing.T, s *blockstore.Store, id int64, n int) {
	t.Helper()
	b, err := s.CreateBlock(1, id, "", int64(n))
	if err != nil {
		t.Fatalf("create block %d: %v", id, err)
	}
	if _, err := b.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(); err != nil {
		t.Fatalf("commit block %d: %v", id, err)
	}
}

// The pinned files the master lists reach the store with a heartbeat:
// when the tier fills up, the older block, of a pinned file, stays and
// the newer one, of a file not pinned, is evicted.
func TestPinnedFilesFromTheMasterAreKeptFromEviction(t *testing.T) {
	const blockSize = 1 << 20
	store := memStore(t, 2*blockSize)
	const pinnedFile, otherFile = 5, 6
	pinnedBlock, otherBlock := int64(pinnedFile<<24), int64(otherFile<<24)
	conn, _ := servePinningMaster(t, []int64{pinnedFile<<24 | 0xFFFFFF}) // as Alluxio names files
	_, l := linkedWorker(store, conn, "fake master")

	if err := l.heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeTestBlock(t, store, pinnedBlock, blockSize)
	writeTestBlock(t, store, otherBlock, blockSize)
	writeTestBlock(t, store, otherFile<<24|1, blockSize)
	if !store.HasBlock(pinnedBlock) || store.HasBlock(otherBlock) {
		t.Errorf("after filling the tier: pinned file's block kept %t, other file's block kept %t; want true, false",
			store.HasBlock(pinnedBlock), store.HasBlock(otherBlock))
	}
}

// A block written with Alluxio's pin-on-create flag (an ASYNC_THROUGH
// write) is kept from eviction before the worker has the master's list of
// files to keep, and while its file is still being written (the master
// lists it only once complete); once the master says the file is
// persisted, it may be evicted like any other.
func TestBlockPinnedOnCreateIsKeptUntilTheMasterReleasesItsFile(t *testing.T) {
	const blockSize = 1 << 20
	store := memStore(t, 2*blockSize)
	conn, master := servePinningMaster(t, nil)
	w, l := linkedWorker(store, conn, "fake master")
	heartbeat := func() {
		t.Helper()
		if err := l.heartbeat(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	const asyncFile, otherFile = 5, 6
	asyncBlock := int64(asyncFile << 24)
	master.setFile(asyncFile<<24|0xFFFFFF, &alluxiopb.FileInfo{Completed: proto.Bool(false), PersistenceState: proto.String("NOT_PERSISTED")})

	temp, err := store.CreateBlock(1, asyncBlock, "", blockSize)
	if err != nil {
		t.Fatal(err)
	}
	b := &blockWorker{w: w}
	if err := b.fill(context.Background(), temp, true, w.metrics.bytesWritten, func() error {
		_, err := temp.Write(make([]byte, blockSize))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	heartbeat()
	writeTestBlock(t, store, otherFile<<24, blockSize)
	writeTestBlock(t, store, otherFile<<24|1, blockSize)
	if !store.HasBlock(asyncBlock) {
		t.Fatal("the block pinned on create was evicted while its file was still being written")
	}

	master.setFile(asyncFile<<24|0xFFFFFF, &alluxiopb.FileInfo{Completed: proto.Bool(true), PersistenceState: proto.String("PERSISTED")})
	heartbeat()
	// Two blocks fill the tier: the released one cannot stay.
	writeTestBlock(t, store, otherFile<<24|2, blockSize)
	writeTestBlock(t, store, otherFile<<24|3, blockSize)
	if store.HasBlock(asyncBlock) {
		t.Error("the block pinned on create is still kept from eviction after the master said its file is persisted")
	}
}

// standbyMaster answers heartbeats, and refuses GetPinnedFileIds as a
// master that does not lead does, counting the calls.
type standbyMaster struct {
	pinningMaster
	asked atomic.Int32
}

func (s *standbyMaster) GetPinnedFileIds(context.Context, *alluxiopb.GetPinnedFileIdsPRequest) (*alluxiopb.GetPinnedFileIdsPResponse, error) {
	s.asked.Add(1)
	return nil, status.Error(codes.Unavailable, "not the leader")
}

// Of the masters it reports to, a worker asks for the pinned files only
// the one that answered last, until it stops answering: standbys are not
// asked on every heartbeat.
func TestPinnedFilesAreAskedOfTheMasterThatAnsweredLast(t *testing.T) {
	leaderConn, _ := servePinningMaster(t, nil)
	standby := &standbyMaster{pinningMaster: pinningMaster{files: map[int64]*alluxiopb.FileInfo{}}}
	w, leader := linkedWorker(memStore(t, 1<<20), leaderConn, "leader")
	other := linkTo(w, serveFakeMaster(t, standby), "standby")
	for range 3 {
		for _, l := range []*link{leader, other} {
			if err := l.heartbeat(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := standby.asked.Load(); n != 0 {
		t.Errorf("the standby was asked for the pinned files %d times after the leader had answered; want 0", n)
	}
}
