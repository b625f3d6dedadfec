package fsm

import (
	"errors"
	"fmt"

	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

// Kind is the type byte in front of every encoded journal entry. Its low
// seven bits are the entry's payload field number; the high bit marks an
// entry that a master which does not know its kind may skip (for rolling
// upgrades), where an unknown kind without it stops the master rather than
// let replicas diverge.
type Kind uint8

// Entry kinds. The values equal the payload field numbers in journal.proto.
const (
	KindUnknown          Kind = 0
	KindCreateFile       Kind = 16
	KindCreateDirectory  Kind = 17
	KindRename           Kind = 18
	KindDelete           Kind = 19
	KindSetAttribute     Kind = 20
	KindCompleteFile     Kind = 21
	KindAddMountPoint    Kind = 22
	KindDeleteMountPoint Kind = 23
	KindLoadMetadata     Kind = 24
	KindNoop             Kind = 25
	KindClusterInfo      Kind = 26
	// KindOperationTableConfig is written ignorable: a master that does not
	// know it keeps its own table limits, as masters before it did.
	KindOperationTableConfig Kind = 27

	// KindIgnorable is or-ed into a kind byte that older masters may skip.
	KindIgnorable Kind = 0x80
)

var kindNames = map[Kind]string{
	KindCreateFile:       "CreateFile",
	KindCreateDirectory:  "CreateDirectory",
	KindRename:           "Rename",
	KindDelete:           "Delete",
	KindSetAttribute:     "SetAttribute",
	KindCompleteFile:     "CompleteFile",
	KindAddMountPoint:    "AddMountPoint",
	KindDeleteMountPoint: "DeleteMountPoint",
	KindLoadMetadata:     "LoadMetadata",
	KindNoop:             "Noop",
	KindClusterInfo:      "ClusterInfo",

	KindOperationTableConfig: "OperationTableConfig",
}

// ignorableKinds are written with KindIgnorable: older masters may skip them.
var ignorableKinds = map[Kind]bool{KindOperationTableConfig: true}

// String names the kind, for logs and metrics.
func (k Kind) String() string {
	s, ok := kindNames[k&^KindIgnorable]
	if !ok {
		s = fmt.Sprintf("Kind(%d)", uint8(k&^KindIgnorable))
	}
	if k&KindIgnorable != 0 {
		s += "|Ignorable"
	}
	return s
}

// ErrCorruptEntry is wrapped by every entry decoding error.
var ErrCorruptEntry = errors.New("corrupt journal entry")

// KindOf returns the kind of e's payload.
func KindOf(e *journalpb.Entry) Kind {
	switch e.Payload.(type) {
	case *journalpb.Entry_CreateFile:
		return KindCreateFile
	case *journalpb.Entry_CreateDirectory:
		return KindCreateDirectory
	case *journalpb.Entry_Rename:
		return KindRename
	case *journalpb.Entry_Delete:
		return KindDelete
	case *journalpb.Entry_SetAttribute:
		return KindSetAttribute
	case *journalpb.Entry_CompleteFile:
		return KindCompleteFile
	case *journalpb.Entry_AddMountPoint:
		return KindAddMountPoint
	case *journalpb.Entry_DeleteMountPoint:
		return KindDeleteMountPoint
	case *journalpb.Entry_LoadMetadata:
		return KindLoadMetadata
	case *journalpb.Entry_Noop:
		return KindNoop
	case *journalpb.Entry_ClusterInfo:
		return KindClusterInfo
	case *journalpb.Entry_OperationTableConfig:
		return KindOperationTableConfig
	}
	return KindUnknown
}

var marshalDeterministic = proto.MarshalOptions{Deterministic: true}

// EncodedSize is len(EncodeEntry(e)), computed without encoding e.
func EncodedSize(e *journalpb.Entry) int {
	return 1 + proto.Size(e)
}

// EncodeEntry frames e as its kind byte followed by the protobuf encoding.
func EncodeEntry(e *journalpb.Entry) ([]byte, error) {
	kind := KindOf(e)
	if kind == KindUnknown {
		return nil, fmt.Errorf("encode journal entry: no payload set")
	}
	buf := make([]byte, 1, EncodedSize(e))
	buf[0] = byte(kind)
	if ignorableKinds[kind] {
		buf[0] |= byte(KindIgnorable)
	}
	return marshalDeterministic.MarshalAppend(buf, e)
}

// DecodeEntry parses bytes written by EncodeEntry. An entry of a kind this
// master does not know decodes to a no-op if it is marked ignorable and is
// an error otherwise; an entry whose payload is missing or disagrees with
// its kind byte is an error either way.
func DecodeEntry(b []byte) (*journalpb.Entry, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty record", ErrCorruptEntry)
	}
	kind := Kind(b[0])
	base := kind &^ KindIgnorable
	if base == KindUnknown {
		return nil, fmt.Errorf("%w: kind byte %#x names no kind", ErrCorruptEntry, byte(kind))
	}
	e := &journalpb.Entry{}
	if err := proto.Unmarshal(b[1:], e); err != nil {
		return nil, fmt.Errorf("%w: kind %d: %v", ErrCorruptEntry, base, err)
	}
	got := KindOf(e)
	if _, known := handlers[base]; !known {
		if got != KindUnknown {
			return nil, fmt.Errorf("%w: kind byte %d does not match payload kind %d", ErrCorruptEntry, base, got)
		}
		if kind&KindIgnorable == 0 {
			return nil, fmt.Errorf("%w: entry kind %d is unknown to this master (written by a newer version?)", ErrCorruptEntry, base)
		}
		e.Payload = &journalpb.Entry_Noop{Noop: &journalpb.NoopEntry{}}
		return e, nil
	}
	if got != base {
		return nil, fmt.Errorf("%w: kind byte %d does not match payload kind %d", ErrCorruptEntry, base, got)
	}
	return e, nil
}
