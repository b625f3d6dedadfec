// Package fserr defines Halo's typed errors — the contract every layer uses
// to say what went wrong; fserr/rpcerr carries them over Halo's gRPC API.
package fserr

import (
	"errors"
	"fmt"
)

// Code classifies an error. The numeric values are stable: they are written
// into journal operation records and travel in RPC error details.
type Code uint32

// Error codes. Zero means success.
const (
	OK Code = iota
	NotFound
	AlreadyExists
	InvalidPath
	PermissionDenied
	NotLeader
	Unavailable
	OutcomeUnknown
	InvalidArgument
	DirectoryNotEmpty
	FailedPrecondition
	Internal
	ResourceExhausted
	// Unauthenticated: the call's channel has not (or no longer) proved
	// who it is; Alluxio's client authenticates again and retries.
	Unauthenticated
	// Unimplemented: the master does not offer what was asked for.
	Unimplemented
)

var codeNames = map[Code]string{
	OK:                 "OK",
	NotFound:           "NotFound",
	AlreadyExists:      "AlreadyExists",
	InvalidPath:        "InvalidPath",
	PermissionDenied:   "PermissionDenied",
	NotLeader:          "NotLeader",
	Unavailable:        "Unavailable",
	OutcomeUnknown:     "OutcomeUnknown",
	InvalidArgument:    "InvalidArgument",
	DirectoryNotEmpty:  "DirectoryNotEmpty",
	FailedPrecondition: "FailedPrecondition",
	Internal:           "Internal",
	ResourceExhausted:  "ResourceExhausted",
	Unauthenticated:    "Unauthenticated",
	Unimplemented:      "Unimplemented",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("Code(%d)", uint32(c))
}

// Error is a typed error. LeaderHint is set with NotLeader when the answering
// master knows who leads.
type Error struct {
	Code       Code
	Message    string
	LeaderHint string
	// Final says that retrying the same operation gets the same answer; an
	// OutcomeUnknown is otherwise worth a retry.
	Final bool
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, fserr.ErrNotFound) and similar work by code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code && t.Message == ""
	}
	return false
}

// Sentinels for errors.Is; they match any *Error with the same code.
var (
	ErrNotFound           = &Error{Code: NotFound}
	ErrAlreadyExists      = &Error{Code: AlreadyExists}
	ErrInvalidPath        = &Error{Code: InvalidPath}
	ErrPermissionDenied   = &Error{Code: PermissionDenied}
	ErrNotLeader          = &Error{Code: NotLeader}
	ErrUnavailable        = &Error{Code: Unavailable}
	ErrOutcomeUnknown     = &Error{Code: OutcomeUnknown}
	ErrInvalidArgument    = &Error{Code: InvalidArgument}
	ErrDirectoryNotEmpty  = &Error{Code: DirectoryNotEmpty}
	ErrFailedPrecondition = &Error{Code: FailedPrecondition}
	ErrInternal           = &Error{Code: Internal}
)

// New returns an error with the given code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err: OK for nil, Internal for an untyped error.
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// LeaderHintOf returns the leader hint carried by err, if any.
func LeaderHintOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.LeaderHint
	}
	return ""
}
