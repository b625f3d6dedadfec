package fserr

import (
	"context"
	"errors"

	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var toGRPCCode = map[Code]codes.Code{
	OK:                 codes.OK,
	NotFound:           codes.NotFound,
	AlreadyExists:      codes.AlreadyExists,
	InvalidPath:        codes.InvalidArgument,
	PermissionDenied:   codes.PermissionDenied,
	NotLeader:          codes.Unavailable,
	Unavailable:        codes.Unavailable,
	OutcomeUnknown:     codes.Unknown,
	InvalidArgument:    codes.InvalidArgument,
	DirectoryNotEmpty:  codes.FailedPrecondition,
	FailedPrecondition: codes.FailedPrecondition,
	Internal:           codes.Internal,
	ResourceExhausted:  codes.ResourceExhausted,
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
	code := CodeOf(err)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code = OutcomeUnknown
	case errors.Is(err, context.Canceled):
		code = OutcomeUnknown
	}
	st := status.New(toGRPCCode[code], err.Error())
	detail := &halopb.ErrorDetail{Code: uint32(code), LeaderHint: LeaderHintOf(err)}
	var typed *Error
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
	var e *Error
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
			return &Error{Code: OutcomeUnknown, Message: err.Error()}
		}
		return &Error{Code: Internal, Message: err.Error()}
	}
	for _, d := range st.Details() {
		if detail, ok := d.(*halopb.ErrorDetail); ok {
			return &Error{Code: Code(detail.Code), Message: st.Message(), LeaderHint: detail.LeaderHint, Final: detail.Final}
		}
	}
	switch st.Code() {
	case codes.Unavailable:
		return &Error{Code: Unavailable, Message: st.Message()}
	case codes.DeadlineExceeded, codes.Canceled:
		return &Error{Code: OutcomeUnknown, Message: st.Message()}
	case codes.NotFound:
		return &Error{Code: NotFound, Message: st.Message()}
	case codes.AlreadyExists:
		return &Error{Code: AlreadyExists, Message: st.Message()}
	case codes.PermissionDenied:
		return &Error{Code: PermissionDenied, Message: st.Message()}
	case codes.InvalidArgument:
		return &Error{Code: InvalidArgument, Message: st.Message()}
	case codes.ResourceExhausted:
		return &Error{Code: ResourceExhausted, Message: st.Message()}
	}
	return &Error{Code: Internal, Message: st.Message()}
}
