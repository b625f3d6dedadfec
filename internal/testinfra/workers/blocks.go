package workers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// WriteBlock writes data as Alluxio's client does: a command, 1 MiB
// chunks, a flush answered with the offset, then the half-close that
// commits.
func WriteBlock(t testing.TB, c alluxiopb.BlockWorkerClient, id int64, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stream, err := c.WriteBlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	command := func(offset int64, flush bool) *alluxiopb.WriteRequest {
		return &alluxiopb.WriteRequest{Value: &alluxiopb.WriteRequest_Command{Command: &alluxiopb.WriteRequestCommand{
			Type: alluxiopb.RequestType_ALLUXIO_BLOCK.Enum(), Id: proto.Int64(id), Offset: proto.Int64(offset), Tier: proto.Int32(0),
			Flush: proto.Bool(flush), MediumType: proto.String(""), SpaceToReserve: proto.Int64(1 << 20),
		}}}
	}
	if err := stream.Send(command(0, false)); err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 1 << 20 {
		chunk := data[off:min(off+1<<20, len(data))]
		if err := stream.Send(&alluxiopb.WriteRequest{Value: &alluxiopb.WriteRequest_Chunk{Chunk: &alluxiopb.Chunk{Data: chunk}}}); err != nil {
			t.Fatal(err)
		}
		if off == 0 {
			if err := stream.Send(command(int64(len(chunk)), true)); err != nil {
				t.Fatal(err)
			}
			resp, err := stream.Recv()
			if err != nil || resp.GetOffset() != int64(len(chunk)) {
				t.Fatalf("flush at %d answered %v, %v", len(chunk), resp, err)
			}
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("the write did not end OK: %v", err)
	}
}

// ReadBlock reads length bytes at off in chunks of chunk bytes,
// acknowledging each as Alluxio's client does.
func ReadBlock(t testing.TB, c alluxiopb.BlockWorkerClient, id, off, length, chunk int64) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stream, err := c.ReadBlock(ctx)
	if err != nil {
		return nil, err
	}
	req := &alluxiopb.ReadRequest{BlockId: proto.Int64(id), Offset: proto.Int64(off), Length: proto.Int64(length), ChunkSize: proto.Int64(chunk),
		OpenUfsBlockOptions: &alluxiopb.OpenUfsBlockOptions{}}
	if err := stream.Send(req); err != nil {
		_, err = stream.Recv()
		return nil, err
	}
	var got []byte
	for int64(len(got)) < length {
		resp, err := stream.Recv()
		if err != nil {
			return got, fmt.Errorf("after %d bytes: %w", len(got), err)
		}
		got = append(got, resp.GetChunk().GetData()...)
		ack := proto.Clone(req).(*alluxiopb.ReadRequest)
		ack.OffsetReceived = proto.Int64(off + int64(len(got)))
		// The worker may have sent the last chunk and ended the call:
		// the acknowledgement then finds the stream closed (io.EOF).
		if err := stream.Send(ack); err != nil && !errors.Is(err, io.EOF) {
			return got, fmt.Errorf("ack after %d bytes: %w", len(got), err)
		}
	}
	stream.CloseSend()
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		return got, err
	}
	return got, nil
}
