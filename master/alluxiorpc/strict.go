package alluxiorpc

import (
	"github.com/halo-fs/halo/fserr"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// refuseUnknownFields refuses a request that carries fields Alluxio 2.9.3's
// protocol does not define, wherever they sit in it. A newer client's
// option that Halo would silently drop could change what the call means;
// Alluxio 2.9's own clients send none.
func refuseUnknownFields(req any) error {
	msg, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	if path := unknownFieldPath(msg.ProtoReflect()); path != "" {
		return fserr.New(fserr.InvalidArgument, "the request carries fields this master does not know (in %s): it speaks Alluxio %s's protocol", path, ProtocolVersion)
	}
	return nil
}

// unknownFieldPath names the first message holding unknown fields, "" if
// none does.
func unknownFieldPath(m protoreflect.Message) string {
	if len(m.GetUnknown()) > 0 {
		return string(m.Descriptor().FullName())
	}
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					found = unknownFieldPath(mv.Message())
					return found == ""
				})
			}
		case fd.IsList():
			if fd.Message() != nil {
				for i := 0; i < v.List().Len() && found == ""; i++ {
					found = unknownFieldPath(v.List().Get(i).Message())
				}
			}
		case fd.Message() != nil:
			found = unknownFieldPath(v.Message())
		}
		return found == ""
	})
	return found
}

// strictStream checks every message a client streams in.
type strictStream struct {
	grpc.ServerStream
}

func (s strictStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return refuseUnknownFields(m)
}
