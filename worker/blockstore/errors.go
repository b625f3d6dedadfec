package blockstore

import (
	"errors"
	"fmt"

	"github.com/halo-fs/halo/fserr"
)

// Sentinels for errors.Is. Every error about a block (bad input, a full
// store, damaged data) is an *Error wrapping one of them that also matches
// the fserr code it maps to (fserr.CodeOf gives it), so the worker's RPC
// layer needs no table of its own. Open wraps ErrInUse.
var (
	// ErrBlockNotFound: no committed block has the id.
	ErrBlockNotFound = errors.New("block not found")
	// ErrBlockExists: the id is committed or being written already.
	ErrBlockExists = errors.New("block exists")
	// ErrNoSpace: the reservation does not fit even after evicting every
	// block that may be evicted.
	ErrNoSpace = errors.New("no space left in the block store")
	// ErrReadPastEnd: a read starts at or beyond the block's length.
	ErrReadPastEnd = errors.New("read past the end of the block")
	// ErrCorruptBlock: stored data no longer matches its checksum; the
	// block has been dropped.
	ErrCorruptBlock = errors.New("block data does not match its checksum")
	// ErrUnknownTier: a tier alias the store was not configured with.
	ErrUnknownTier = errors.New("unknown tier")
	// ErrBlockBusy: a new block's id is still held by a move of an
	// earlier block with that id, which was removed; retry shortly.
	ErrBlockBusy = errors.New("block busy")
	// ErrInUse: another store, in this process or another, has a folder
	// open.
	ErrInUse = errors.New("block store folder is in use")
	// ErrInvalidRequest: an argument no store could accept.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrClosed: the store or the handle was closed.
	ErrClosed = errors.New("closed")
)

// fserrCode maps each sentinel to the code the RPC layer reports.
var fserrCode = map[error]fserr.Code{
	ErrBlockNotFound:  fserr.NotFound,
	ErrBlockExists:    fserr.AlreadyExists,
	ErrNoSpace:        fserr.ResourceExhausted,
	ErrReadPastEnd:    fserr.InvalidArgument,
	ErrCorruptBlock:   fserr.Internal,
	ErrUnknownTier:    fserr.InvalidArgument,
	ErrBlockBusy:      fserr.FailedPrecondition,
	ErrClosed:         fserr.Unavailable,
	ErrInvalidRequest: fserr.InvalidArgument,
	ErrInUse:          fserr.FailedPrecondition,
}

// Error is a store error about one block. Offset is set for
// ErrCorruptBlock and ErrReadPastEnd; -1 otherwise.
type Error struct {
	Kind    error // one of the sentinels above
	BlockID int64
	Offset  int64
	Detail  string // what else the reader needs to know, may be empty
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("block %d: %v", e.BlockID, e.Kind)
	if e.Offset >= 0 {
		msg += fmt.Sprintf(" at offset %d", e.Offset)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap lets errors.Is match both the sentinel and the fserr code.
func (e *Error) Unwrap() []error {
	return []error{e.Kind, &fserr.Error{Code: fserrCode[e.Kind], Message: e.Error()}}
}

func blockError(kind error, blockID int64, detail string) *Error {
	return &Error{Kind: kind, BlockID: blockID, Offset: -1, Detail: detail}
}
