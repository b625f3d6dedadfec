package worker

import (
	"context"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
)

// maxRecvBytes admits Alluxio's write chunks (1 MiB by default) with
// room for the message around them.
const maxRecvBytes = 8 << 20

func (w *Worker) newRPCServer() *grpc.Server {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxRecvBytes),
		grpc.ChainUnaryInterceptor(w.unaryErrors),
		grpc.ChainStreamInterceptor(w.streamErrors),
	}
	if w.cfg.ServerCredentials != nil {
		opts = append(opts, grpc.Creds(w.cfg.ServerCredentials))
	}
	s := grpc.NewServer(opts...)
	alluxiopb.RegisterSaslAuthenticationServiceServer(s, channelAuthentication{})
	alluxiopb.RegisterBlockWorkerServer(s, &blockWorker{w: w})
	return s
}

// unaryErrors checks the caller and turns typed errors into gRPC status
// codes, as the masters answer.
func (w *Worker) unaryErrors(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := w.checkCaller(ctx); err != nil {
		return nil, rpcerr.ToGRPC(err)
	}
	resp, err := handler(ctx, req)
	return resp, rpcerr.ToGRPC(err)
}

func (w *Worker) streamErrors(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := w.checkCaller(ss.Context()); err != nil {
		return rpcerr.ToGRPC(err)
	}
	return rpcerr.ToGRPC(handler(srv, ss))
}

func (w *Worker) checkCaller(ctx context.Context) error {
	if w.cfg.CheckCaller == nil {
		return nil
	}
	return w.cfg.CheckCaller(ctx)
}

// channelAuthentication answers Alluxio's SIMPLE channel authentication,
// which a client does before it calls the worker. The user a client
// names gives it nothing here: the worker checks no permissions (the
// master did when it handed out the block), and under SECRET or
// CERTIFICATE the transport has proven the caller already.
type channelAuthentication struct {
	alluxiopb.UnimplementedSaslAuthenticationServiceServer
}

func (channelAuthentication) Authenticate(stream grpc.BidiStreamingServer[alluxiopb.SaslMessage, alluxiopb.SaslMessage]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	if first.GetMessageType() != alluxiopb.SaslMessageType_CHALLENGE {
		return fserr.New(fserr.InvalidArgument, "authentication must start with a CHALLENGE message, not %s", first.GetMessageType())
	}
	if err := stream.Send(&alluxiopb.SaslMessage{MessageType: alluxiopb.SaslMessageType_SUCCESS.Enum()}); err != nil {
		return err
	}
	return drain(stream)
}
