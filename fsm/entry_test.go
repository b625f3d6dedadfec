package fsm

import (
	"errors"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// sampleEntries has one entry of every kind with every field set.
func sampleEntries() map[Kind]*journalpb.Entry {
	full := func(e *journalpb.Entry) *journalpb.Entry {
		opID(0xfeedface_00000001, 77)(e)
		e.TimeMs = 1_700_000_000_123
		e.Caller = &journalpb.Caller{User: "alice", Groups: []string{"staff", "dev"}, Superuser: true}
		return e
	}
	return map[Kind]*journalpb.Entry{
		KindCreateFile: full(build(&journalpb.CreateFileEntry{Path: "/a/b", Mode: 0o640, Recursive: true, Completed: true,
			BlockSizeBytes: 64 << 20, TtlMs: 1000, Pinned: true}, nil)),
		KindCreateDirectory: full(build(&journalpb.CreateDirectoryEntry{Path: "/a", Mode: 0o700, Recursive: true, AllowExists: true}, nil)),
		KindRename:          full(rename("/a", "/b")),
		KindDelete:          full(remove("/a", recursive)),
		KindSetAttribute: full(setAttr(&journalpb.SetAttributeEntry{Path: "/a", Recursive: true, HasMode: true, Mode: 0o755,
			HasOwner: true, Owner: "o", HasGroup: true, Group: "g", HasPinned: true, Pinned: true, HasTtl: true, TtlMs: 5,
			HasPersisted: true, Persisted: true})),
		KindCompleteFile: full(complete("/a", 1<<40, []uint64{1, 2, 1 << 63})),
		KindAddMountPoint: full(build(&journalpb.AddMountPointEntry{Path: "/m", UfsUri: "s3://b/p", ReadOnly: true, Shared: true,
			Options: map[string]string{"z": "1", "a": "2", "m": ""}, Owner: "o", Group: "g", Mode: 0o755}, nil)),
		KindDeleteMountPoint:     full(unmount("/m")),
		KindLoadMetadata:         full(loadMetadata("/m", []*journalpb.UfsChild{ufsDir("d"), ufsFile("d/f", 9)})),
		KindNoop:                 full(noop()),
		KindClusterInfo:          full(build(&journalpb.ClusterInfoEntry{ClusterId: "c1"}, nil)),
		KindOperationTableConfig: full(tableLimits(true, 1000, time.Minute)),
	}
}

func TestEncodeDecodeEveryKind(t *testing.T) {
	samples := sampleEntries()
	if len(samples) != len(handlers) {
		t.Fatalf("%d samples for %d kinds", len(samples), len(handlers))
	}
	for kind, e := range samples {
		t.Run(kind.String(), func(t *testing.T) {
			if KindOf(e) != kind {
				t.Fatalf("KindOf = %v", KindOf(e))
			}
			b, err := EncodeEntry(e)
			if err != nil {
				t.Fatal(err)
			}
			if want := kind | ignorableIf(ignorableKinds[kind]); Kind(b[0]) != want {
				t.Fatalf("kind byte %d, want %d", b[0], want)
			}
			again, err := EncodeEntry(proto.Clone(e).(*journalpb.Entry))
			if err != nil || string(again) != string(b) {
				t.Fatal("encoding is not deterministic")
			}
			got, err := DecodeEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, e) {
				t.Fatalf("decoded %v, want %v", got, e)
			}
			// The ignorable bit does not change how a known kind decodes.
			b[0] |= byte(KindIgnorable)
			if got, err := DecodeEntry(b); err != nil || !proto.Equal(got, e) {
				t.Fatalf("with the ignorable bit: %v, %v", got, err)
			}
		})
	}
}

func ignorableIf(set bool) Kind {
	if set {
		return KindIgnorable
	}
	return 0
}

func TestEncodeEntryWithoutPayload(t *testing.T) {
	if _, err := EncodeEntry(&journalpb.Entry{TimeMs: 1}); err == nil {
		t.Fatal("encoded an entry without a payload")
	}
}

// futureEntry is what a newer master might write: an op id, a time, and a
// payload in field number kind, which this master does not know.
func futureEntry(kind Kind) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), 5))
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, 123)
	b = protowire.AppendTag(b, protowire.Number(kind), protowire.BytesType)
	b = protowire.AppendBytes(b, []byte("\x0a\x02/x"))
	return append([]byte{byte(kind)}, b...)
}

func TestDecodeEntry(t *testing.T) {
	create, _ := EncodeEntry(sampleEntries()[KindCreateFile])
	withKind := func(b []byte, k byte) []byte { return append([]byte{k}, b[1:]...) }
	cases := []struct {
		name     string
		in       []byte
		wantNoop bool // decodes to a no-op; otherwise must fail
	}{
		{name: "empty", in: nil},
		{name: "kind byte only, no payload", in: []byte{byte(KindCreateFile)}},
		{name: "kind byte only, ignorable", in: []byte{byte(KindCreateFile | KindIgnorable)}},
		{name: "kind zero", in: withKind(create, 0)},
		{name: "kind zero, ignorable", in: withKind(create, byte(KindIgnorable))},
		{name: "kind mismatch", in: withKind(create, byte(KindCreateDirectory))},
		{name: "kind mismatch, ignorable", in: withKind(create, byte(KindRename|KindIgnorable))},
		{name: "known payload under an unknown kind", in: withKind(create, 30|byte(KindIgnorable))},
		{name: "truncated", in: create[:len(create)-3]},
		{name: "garbage", in: []byte{byte(KindNoop), 0xff, 0xff, 0xff}},
		{name: "invalid UTF-8 in a path", in: func() []byte {
			b, _ := EncodeEntry(mkdir("/ab"))
			i := len(b) - 1
			for b[i] != 'a' {
				i--
			}
			b[i] = 0xff
			return b
		}()},
		{name: "unknown kind", in: futureEntry(30)},
		{name: "unknown kind, ignorable", in: withKind(futureEntry(30), 30|byte(KindIgnorable)), wantNoop: true},
		{name: "highest kind, ignorable", in: withKind(futureEntry(127), 0xff), wantNoop: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := DecodeEntry(tc.in)
			if !tc.wantNoop {
				if err == nil {
					t.Fatalf("decoded %v", e)
				}
				if !errors.Is(err, ErrCorruptEntry) {
					t.Fatalf("error %v does not wrap ErrCorruptEntry", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if KindOf(e) != KindNoop || e.GetOpId().GetSeq() != 5 || e.TimeMs != 123 {
				t.Fatalf("decoded %v, want a no-op keeping op id and time", e)
			}
			// A skipped entry is a no-op to apply.
			h := newHarness(t)
			if res := h.apply(e); res.Err != nil || h.InodeCount() != 1 {
				t.Fatalf("apply: %v", res.Err)
			}
		})
	}
}
