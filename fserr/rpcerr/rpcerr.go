// Package rpcerr carries fserr's typed errors over Halo's gRPC API: a
// status code plus a halopb.ErrorDetail with the exact code, leader hint and
// finality. It lives apart from fserr so that packages below the API (the
// namespace, the journal) can use typed errors without depending on it.
package rpcerr

import (
	"context"
	"errors"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var toGRPCCode = map[fserr.Code]codes.Code{
	fserr.OK:                 codes.OK,
	fserr.NotFound:           codes.NotFound,
	fserr.AlreadyExists:      codes.AlreadyExists,
	fserr.InvalidPath:        codes.InvalidArgument,
	fserr.PermissionDenied:   codes.PermissionDenied,
	fserr.NotLeader:          codes.Unavailable,
	fserr.Unavailable:        codes.Unavailable,
	fserr.OutcomeUnknown:     codes.Unknown,
	fserr.InvalidArgument:    codes.InvalidArgument,
	fserr.DirectoryNotEmpty:  codes.FailedPrecondition,
	fserr.FailedPrecondition: codes.FailedPrecondition,
	fserr.Internal:           codes.Internal,
	fserr.ResourceExhausted:  codes.ResourceExhausted,
	fserr.Unauthenticated:    codes.Unauthenticated,
	fserr.Unimplemented:      codes.Unimplemented,
}

// ToGRPC turns err into a gRPC status error carrying an ErrorDetail, so that
// FromGRPC on the other side restores the same code, message and hint.
func ToGRPC(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !isTyped(err) {
		return err
	}
	code := fserr.CodeOf(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code = fserr.OutcomeUnknown
	case errors.Is(err, context.Canceled):
		code = fserr.OutcomeUnknown
	}
	st := status.New(toGRPCCode[code], err.Error())
	detail := &halopb.ErrorDetail{Code: uint32(code), LeaderHint: fserr.LeaderHintOf(err)}
	var typed *fserr.Error
	if errors.As(err, &typed) {
		detail.Final = typed.Final
	}
	withDetail, derr := st.WithDetails(detail)
	if derr != nil {
		return st.Err()
	}
	return withDetail.Err()
}

func isTyped(err error) bool {
	var e *fserr.Error
	return errors.As(err, &e)
}

// FromGRPC turns a gRPC error back into a typed *Error. Transport failures
// (the master was unreachable, or the connection broke) become Unavailable,
// deadlines become OutcomeUnknown: the caller cannot know whether a mutation
// took effect.
func FromGRPC(err error) error {
	if err == nil {
		return nil
	}
	if isTyped(err) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return &fserr.Error{Code: fserr.OutcomeUnknown, Message: err.Error()}
		}
		return &fserr.Error{Code: fserr.Internal, Message: err.Error()}
	}
	for _, d := range st.Details() {
		if detail, ok := d.(*halopb.ErrorDetail); ok {
			return &fserr.Error{Code: fserr.Code(detail.Code), Message: st.Message(), LeaderHint: detail.LeaderHint, Final: detail.Final}
		}
	}
	code, ok := fromGRPCCode[st.Code()]
	if !ok {
		code = fserr.Internal
	}
	return &fserr.Error{Code: code, Message: st.Message()}
}

// fromGRPCCode reads a status without an ErrorDetail (from a proxy or
// gRPC itself); any other code is Internal.
var fromGRPCCode = map[codes.Code]fserr.Code{
	codes.Unavailable:       fserr.Unavailable,
	codes.DeadlineExceeded:  fserr.OutcomeUnknown,
	codes.Canceled:          fserr.OutcomeUnknown,
	codes.NotFound:          fserr.NotFound,
	codes.AlreadyExists:     fserr.AlreadyExists,
	codes.PermissionDenied:  fserr.PermissionDenied,
	codes.InvalidArgument:   fserr.InvalidArgument,
	codes.ResourceExhausted: fserr.ResourceExhausted,
	codes.Unauthenticated:   fserr.Unauthenticated,
	codes.Unimplemented:     fserr.Unimplemented,
}
