// Package alluxioimport turns a backup written by Alluxio 2.9's
// `fsadmin backup` into a Halo checkpoint, so that `halo master -i` starts
// an existing Alluxio deployment's namespace — its tree, owners, modes and
// mount points — in any HA mode. It reads the backup after gzip: a stream
// of length-delimited alluxio.proto.journal.JournalEntry messages, one per
// piece of master state.
//
// Package fsm does not import it: fsm only checks the checkpoint it makes.
package alluxioimport

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// maxEntryBytes bounds one entry, so that a corrupt length cannot make the
// decoder allocate without limit; Alluxio's largest, a file with its block
// ids, stays far below it.
const maxEntryBytes = 64 << 20

// IsBackup tells whether data (uncompressed) is an Alluxio backup: it is
// not a Halo checkpoint and its first message decodes as a JournalEntry
// with a payload this build knows. Fields it does not know (a newer
// Alluxio's) do not hide it: Translate refuses them, saying so.
func IsBackup(data []byte) bool {
	if fsm.LooksLikeCheckpoint(data) {
		return false
	}
	e := &alluxiopb.JournalEntry{}
	if err := unmarshalNext(bytes.NewReader(data), e); err != nil {
		return false
	}
	e.ProtoReflect().SetUnknown(nil)
	_, err := payloadKind(e)
	return err == nil
}

// decodeEntries calls each for every entry of the backup, nested merged
// entries included, in order. Its errors name the entry by position and
// byte offset.
func decodeEntries(data []byte, each func(n int, e *alluxiopb.JournalEntry) error) error {
	r := bytes.NewReader(data)
	for n := 0; ; n++ {
		offset := len(data) - r.Len()
		e := &alluxiopb.JournalEntry{}
		err := unmarshalNext(r, e)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("entry %d at byte %d does not decode: %w", n, offset, err)
		}
		if err := walkMerged(n, e, each); err != nil {
			return err
		}
	}
}

// walkMerged visits e, or the entries it merges (journal_entries), which
// Alluxio writes in place of several; the merge has nothing else set.
func walkMerged(n int, e *alluxiopb.JournalEntry, each func(n int, e *alluxiopb.JournalEntry) error) error {
	if len(e.GetJournalEntries()) == 0 {
		return each(n, e)
	}
	for _, inner := range e.GetJournalEntries() {
		if err := walkMerged(n, inner, each); err != nil {
			return err
		}
	}
	return nil
}

func unmarshalNext(r *bytes.Reader, e *alluxiopb.JournalEntry) error {
	err := protodelim.UnmarshalOptions{MaxSize: maxEntryBytes}.UnmarshalFrom(r, e)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the backup ends inside it (truncated): %w", err)
	}
	return err
}

// payloadKind names the one payload of an entry (its proto field name),
// or "" for a merge. An entry with two payloads, or a field this build
// does not know (a newer Alluxio's), is an error.
func payloadKind(e *alluxiopb.JournalEntry) (string, error) {
	if unknown := e.ProtoReflect().GetUnknown(); len(unknown) > 0 {
		return "", fmt.Errorf("it holds fields unknown to Alluxio %s's journal schema", AlluxioVersion)
	}
	var kinds []string
	e.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		switch fd.Name() {
		case "sequence_number", "operationId", "journal_entries":
		default:
			kinds = append(kinds, string(fd.Name()))
		}
		return true
	})
	switch {
	case len(kinds) > 1:
		return "", fmt.Errorf("it holds %d payloads (%v); an entry holds one", len(kinds), kinds)
	case len(kinds) == 0 && len(e.GetJournalEntries()) == 0:
		return "", fmt.Errorf("it holds no payload")
	case len(kinds) == 0:
		return "", nil
	}
	return kinds[0], nil
}

// AlluxioVersion is the release whose journal schema proto/alluxiopb holds:
// the backups this package reads.
const AlluxioVersion = "2.9.3"
