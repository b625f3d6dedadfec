package alluxiorpc

import (
	"bytes"
	"errors"
	"io"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
)

// sasl is Alluxio's channel authentication: the client opens a stream,
// sends its user once, and every later call of the channel carries the
// channel id. The channel stays authenticated while the stream is open.
type sasl struct {
	alluxiopb.UnimplementedSaslAuthenticationServiceServer
	m *master.Master
}

func (s *sasl) Authenticate(stream grpc.BidiStreamingServer[alluxiopb.SaslMessage, alluxiopb.SaslMessage]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	user, err := plainUser(first)
	if err != nil {
		return err
	}
	closeChannel, err := s.m.OpenChannel(first.GetClientId(), user)
	if err != nil {
		return err
	}
	defer closeChannel()
	if err := stream.Send(&alluxiopb.SaslMessage{MessageType: alluxiopb.SaslMessageType_SUCCESS.Enum()}); err != nil {
		return err
	}
	// The client keeps the stream open for the channel's life and closes
	// it (or drops the connection) when done with the channel. A stopping
	// master ends it: its graceful stop waits for every open stream.
	closed := make(chan error, 1)
	go func() { closed <- drain(stream) }()
	select {
	case err := <-closed:
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	case <-s.m.Stopping():
		return fserr.New(fserr.Unavailable, "the master is stopping")
	}
}

// drain reads the client's side of an authentication stream until it
// ends, and returns why it ended.
func drain(stream grpc.BidiStreamingServer[alluxiopb.SaslMessage, alluxiopb.SaslMessage]) error {
	for {
		if _, err := stream.Recv(); err != nil {
			return err
		}
	}
}

// plainUser reads the user from the first message of a SIMPLE
// authentication, a SASL PLAIN response: authzid NUL authcid NUL password,
// where Alluxio sends no authzid and the password "noPassword".
func plainUser(msg *alluxiopb.SaslMessage) (string, error) {
	if msg.GetMessageType() != alluxiopb.SaslMessageType_CHALLENGE {
		return "", fserr.New(fserr.InvalidArgument, "authentication must start with a CHALLENGE message, not %s", msg.GetMessageType())
	}
	if scheme := msg.GetAuthenticationScheme(); msg.AuthenticationScheme == nil || scheme != alluxiopb.ChannelAuthenticationScheme_SIMPLE {
		return "", fserr.New(fserr.Unauthenticated,
			"authentication scheme %s is not offered: this master accepts SIMPLE (alluxio.security.authentication.type=SIMPLE), or NOSASL without authenticating",
			schemeName(msg))
	}
	parts := bytes.Split(msg.GetMessage(), []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return "", fserr.New(fserr.InvalidArgument, "SIMPLE authentication message is not NUL-separated authzid, user and password")
	}
	user := string(parts[1])
	if len(parts[0]) > 0 && string(parts[0]) != user {
		return "", fserr.New(fserr.PermissionDenied, "user %q may not act as %q: impersonation is not supported", user, parts[0])
	}
	return user, nil
}

func schemeName(msg *alluxiopb.SaslMessage) string {
	if msg.AuthenticationScheme == nil {
		return "(none)"
	}
	return msg.GetAuthenticationScheme().String()
}
