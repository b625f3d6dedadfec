package client

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
)

// Short-circuit: with a worker on this host, the client reads a block's
// file and writes a new block's temp file itself (Alluxio's
// alluxio.user.short.circuit.enabled, on by default), and the worker only
// hands out paths and commits. Whatever fails on that path (a worker in a
// container whose files this process cannot see, say) falls back to the
// worker's RPC streams.

// isLocalHost reports whether a worker's host is this machine: one of its
// names, a loopback address, or an address of one of its interfaces.
func isLocalHost(host string) bool {
	if slices.Contains(localHosts(), host) {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	return slices.ContainsFunc(localIPs(), ip.Equal)
}

// localIPs are the addresses of this machine's interfaces, read once:
// every block a client reads or writes asks.
var localIPs = sync.OnceValue(func() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
})

func isLocalAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && isLocalHost(host)
}

// rangeReader is a range of one block being read, through a worker's
// stream or from the block's file.
type rangeReader interface {
	io.Reader
	close()
	// failure turns a read error into the error the caller sees.
	failure(err error) error
}

// localReader reads a range of a block from its file on this host while
// an OpenLocalBlock call keeps the worker from evicting it.
type localReader struct {
	stream grpc.BidiStreamingClient[alluxiopb.OpenLocalBlockRequest, alluxiopb.OpenLocalBlockResponse]
	cancel context.CancelFunc
	block  *blockstore.LocalBlock
	id     int64
	offset int64 // in the block, of the next byte Read returns
	want   int64 // bytes still to read
	// ahead holds verified bytes from offset on. A read smaller than a
	// checksum span would read and verify its whole span from the file
	// again, so small reads are served from a chunk read ahead.
	ahead, buf []byte
}

// openLocal asks the worker at addr for the file of the block req names,
// blockLength bytes long, and opens it with its checksums.
func (c *Client) openLocal(ctx context.Context, addr string, req *alluxiopb.ReadRequest, blockLength int64) (*localReader, error) {
	worker, err := c.workerConn(addr)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	stream, err := worker.OpenLocalBlock(sctx)
	var resp *alluxiopb.OpenLocalBlockResponse
	if err == nil {
		err = stream.Send(&alluxiopb.OpenLocalBlockRequest{BlockId: proto.Int64(req.GetBlockId()), Promote: proto.Bool(req.GetPromote())})
	}
	if err == nil {
		resp, err = stream.Recv()
	}
	var block *blockstore.LocalBlock
	if err == nil {
		block, err = blockstore.OpenLocalBlock(resp.GetPath(), req.GetBlockId(), blockLength)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return &localReader{stream: stream, cancel: cancel, block: block, id: req.GetBlockId(), offset: req.GetOffset(), want: req.GetLength()}, nil
}

func (l *localReader) Read(p []byte) (int, error) {
	if l.want <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), l.want)]
	if len(l.ahead) == 0 && len(p) < chunkSize {
		if err := l.readAhead(); err != nil {
			return 0, err
		}
	}
	var n int
	var err error
	if len(l.ahead) > 0 {
		n = copy(p, l.ahead)
		l.ahead = l.ahead[n:]
	} else {
		n, err = l.readFile(p)
	}
	l.offset += int64(n)
	l.want -= int64(n)
	return n, err
}

// readAhead reads up to the next chunk boundary into ahead, so that
// later fills are whole aligned chunks.
func (l *localReader) readAhead() error {
	if l.buf == nil {
		// No larger than the range: a small ReadAt reads its range alone.
		l.buf = make([]byte, min(chunkSize, l.want))
	}
	n, err := l.readFile(l.buf[:min(chunkSize-l.offset%chunkSize, l.want)])
	l.ahead = l.buf[:n]
	return err
}

// readFile fills p from the block's file at offset.
func (l *localReader) readFile(p []byte) (int, error) {
	n, err := l.block.ReadAt(p, l.offset)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(p)) {
		return n, l.failure(err)
	}
	return n, nil
}

func (l *localReader) failure(err error) error {
	var typed *fserr.Error
	if errors.As(err, &typed) {
		return err
	}
	return fserr.New(fserr.Unavailable, "reading block %d from its file on this host: %v", l.id, err)
}

func (l *localReader) close() {
	l.block.Close()
	l.stream.CloseSend()
	l.cancel()
}

// localBlockWriter writes a new block into the temp file a worker on this
// host created for it; closing it makes the worker commit the block.
type localBlockWriter struct {
	id      int64
	stream  grpc.BidiStreamingClient[alluxiopb.CreateLocalBlockRequest, alluxiopb.CreateLocalBlockResponse]
	cancel  context.CancelFunc
	file    *os.File
	written int64
}

// createLocal asks the worker at addr to create block id with room for
// opts.size bytes, and opens its temp file.
func (c *Client) createLocal(ctx context.Context, addr string, id int64, opts blockWriteOptions) (*localBlockWriter, error) {
	worker, err := c.workerConn(addr)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	stream, err := worker.CreateLocalBlock(sctx)
	var resp *alluxiopb.CreateLocalBlockResponse
	if err == nil {
		err = stream.Send(&alluxiopb.CreateLocalBlockRequest{BlockId: proto.Int64(id), Tier: proto.Int32(0), SpaceToReserve: proto.Int64(opts.size),
			PinOnCreate: proto.Bool(opts.pinOnCreate)})
	}
	if err == nil {
		resp, err = stream.Recv()
	}
	var file *os.File
	if err == nil {
		file, err = os.OpenFile(resp.GetPath(), os.O_WRONLY, 0)
	}
	if err != nil {
		// Cancelling the call makes the worker abort the temp block.
		cancel()
		return nil, err
	}
	return &localBlockWriter{id: id, stream: stream, cancel: cancel, file: file}, nil
}

func (l *localBlockWriter) send(p []byte) error {
	n, err := l.file.Write(p)
	l.written += int64(n)
	if err != nil {
		l.cancel()
		return fserr.New(fserr.Unavailable, "writing block %d into its file on this host: %v", l.id, err)
	}
	return nil
}

func (l *localBlockWriter) size() int64 { return l.written }

// close hands the file back; the worker checksums and commits the block
// and answers once every master knows.
func (l *localBlockWriter) close() error {
	defer l.cancel()
	err := l.file.Close()
	if err == nil {
		err = l.stream.CloseSend()
	}
	for err == nil {
		_, err = l.stream.Recv()
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return fserr.New(fserr.Unavailable, "committing block %d written on this host: %v", l.id, err)
}
