package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// ChannelMetadataKey carries the id of an authenticated channel on every
// call made over it, as Alluxio's client sends it.
const ChannelMetadataKey = "channel-id"

// Authentication types a client may be given (Options.Authentication,
// alluxio.security.authentication.type).
const (
	AuthNoSASL      = "NOSASL"
	AuthSimple      = "SIMPLE"
	AuthSecret      = "SECRET"
	AuthCertificate = "CERTIFICATE"
)

// needsChannel reports whether calls under auth name their user through
// an authenticated channel: SIMPLE (the default) and SECRET do; NOSASL
// names nobody and CERTIFICATE's user is the certificate's.
func needsChannel(auth, user string) bool {
	return user != "" && auth != AuthNoSASL && auth != AuthCertificate
}

// unauthenticatedServices are called without a channel, as by Alluxio's
// client: the authentication itself, and the version probe that finds the
// primary.
var unauthenticatedServices = []string{
	"/" + alluxiopb.SaslAuthenticationService_ServiceDesc.ServiceName + "/",
	"/" + alluxiopb.ServiceVersionClientService_ServiceDesc.ServiceName + "/",
}

// channelAuth is the SIMPLE authentication of one connection, as Alluxio's
// client makes it: a stream that sends the user once and stays open, while
// every other call carries the channel's id. When the stream ends (the
// master restarted, the connection broke) the channel is forgotten and the
// next call authenticates again.
type channelAuth struct {
	user string

	mu          sync.Mutex
	id          string // "" while not authenticated
	closeStream context.CancelFunc
	// pending is closed when the authentication in flight ends; nil
	// when none is.
	pending chan struct{}
}

// errNotSent marks a call that failed before the master did anything:
// its channel could not be authenticated for a reason a retry may not
// meet, or the master no longer knew the channel. A retry authenticates
// again.
var errNotSent = errors.New("the request did not reach the master")

func (a *channelAuth) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	for _, prefix := range unauthenticatedServices {
		if strings.HasPrefix(method, prefix) {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
	}
	id, err := a.channel(ctx, cc)
	if err != nil {
		return authenticationFailure(err)
	}
	err = invoker(metadata.AppendToOutgoingContext(ctx, ChannelMetadataKey, id), method, req, reply, cc, opts...)
	if status.Code(err) == codes.Unauthenticated {
		a.forget(id)
		return errors.Join(errNotSent, rpcerr.FromGRPC(err))
	}
	return err
}

// authenticationFailure is the error of a call whose channel could not
// be authenticated: one a retry may not meet (the master unreachable,
// the deadline) is marked as not sent; a refusal is the call's answer.
func authenticationFailure(err error) error {
	typed := rpcerr.FromGRPC(err)
	switch fserr.CodeOf(typed) {
	case fserr.Unavailable, fserr.OutcomeUnknown, fserr.NotLeader:
		return errors.Join(errNotSent, &fserr.Error{
			Code: fserr.Unavailable, Message: "authenticating the connection's channel: " + typed.Error(), LeaderHint: fserr.LeaderHintOf(typed),
		})
	}
	return typed
}

// channel returns the connection's channel id, authenticating first if
// it has none. Concurrent calls share one authentication, each waiting
// for it no longer than its own ctx.
func (a *channelAuth) channel(ctx context.Context, cc *grpc.ClientConn) (string, error) {
	for {
		a.mu.Lock()
		if a.id != "" {
			id := a.id
			a.mu.Unlock()
			return id, nil
		}
		if a.pending == nil {
			done := make(chan struct{})
			a.pending = done
			a.mu.Unlock()
			return a.authenticateOnce(ctx, cc, done)
		}
		wait := a.pending
		a.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// authenticateOnce is the authentication in flight, which closes done
// when it ends.
func (a *channelAuth) authenticateOnce(ctx context.Context, cc *grpc.ClientConn, done chan struct{}) (string, error) {
	defer close(done)
	id, stream, cancel, err := a.authenticate(ctx, cc)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending = nil
	if err != nil {
		return "", err
	}
	a.id, a.closeStream = id, cancel
	go a.watch(id, stream)
	return id, nil
}

// authenticate opens a channel: its stream outlives ctx, and cancel ends
// it.
func (a *channelAuth) authenticate(ctx context.Context, cc *grpc.ClientConn) (string, saslStream, context.CancelFunc, error) {
	id, err := newChannelID()
	if err != nil {
		return "", nil, nil, err
	}
	streamCtx, endStream := context.WithCancel(context.Background())
	stream, err := a.open(ctx, streamCtx, endStream, cc, id)
	if err != nil {
		endStream()
		return "", nil, nil, err
	}
	return id, stream, endStream, nil
}

// open sends the user on a new stream in streamCtx and waits for the
// master's answer within ctx, ending the stream if ctx ends first.
func (a *channelAuth) open(ctx, streamCtx context.Context, endStream context.CancelFunc, cc *grpc.ClientConn, id string) (saslStream, error) {
	stream, err := alluxiopb.NewSaslAuthenticationServiceClient(cc).Authenticate(streamCtx)
	if err != nil {
		return nil, err
	}
	err = stream.Send(&alluxiopb.SaslMessage{
		MessageType:          alluxiopb.SaslMessageType_CHALLENGE.Enum(),
		AuthenticationScheme: alluxiopb.ChannelAuthenticationScheme_SIMPLE.Enum(),
		Message:              []byte("\x00" + a.user + "\x00noPassword"),
		ClientId:             proto.String(id),
	})
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, endStream)
	reply, err := stream.Recv()
	stop()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	if reply.GetMessageType() != alluxiopb.SaslMessageType_SUCCESS {
		return nil, fserr.New(fserr.Unauthenticated, "channel authentication answered %s, not SUCCESS", reply.GetMessageType())
	}
	return stream, nil
}

type saslStream = grpc.BidiStreamingClient[alluxiopb.SaslMessage, alluxiopb.SaslMessage]

// watch forgets the channel once its stream ends.
func (a *channelAuth) watch(id string, stream saslStream) {
	for {
		if _, err := stream.Recv(); err != nil {
			a.forget(id)
			return
		}
	}
}

// forget drops channel id, if it is still the connection's.
func (a *channelAuth) forget(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.id != id {
		return
	}
	a.closeStream()
	a.id, a.closeStream = "", nil
}

// newChannelID is a random UUID in its text form, as Alluxio's client
// names channels.
func newChannelID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// AuthenticateChannel authenticates a new channel on conn as user, as the
// client does for each of its connections, for callers that make their
// own calls on conn: the returned context carries the channel's id, and
// end closes the channel.
func AuthenticateChannel(ctx context.Context, conn *grpc.ClientConn, user string) (_ context.Context, end func(), err error) {
	id, end, err := OpenChannel(ctx, conn, user)
	if err != nil {
		return nil, nil, err
	}
	return metadata.AppendToOutgoingContext(ctx, ChannelMetadataKey, id), end, nil
}

// OpenChannel authenticates a new channel on conn as user, waiting for
// the master's answer no longer than ctx, and returns its id, for callers
// that add it to their calls themselves (ChannelMetadataKey), as a worker
// does on its long-lived connections: the channel outlives ctx until end
// closes it.
func OpenChannel(ctx context.Context, conn *grpc.ClientConn, user string) (channel string, end func(), err error) {
	a := &channelAuth{user: user}
	id, _, cancel, err := a.authenticate(ctx, conn)
	if err != nil {
		return "", nil, rpcerr.FromGRPC(err)
	}
	return id, cancel, nil
}
