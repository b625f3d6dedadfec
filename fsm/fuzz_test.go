package fsm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

// Run each for a while with, for example,
//
//	go test -run=^$ -fuzz=FuzzRestore -fuzztime=20s ./fsm/

func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/", "", "/a/b", "/a/", "//", "/a//b", "/.", "/..", "/a/./b", "a", "/a\x00", "/\xff",
		"/" + strings.Repeat("x", 255), "/" + strings.Repeat("x", 256), strings.Repeat("/abc", 1024)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts, err := SplitPath(s)
		if err != nil {
			if fserr.CodeOf(err) != fserr.InvalidPath || parts != nil {
				t.Fatalf("SplitPath(%q) = %q, %v", s, parts, err)
			}
			return
		}
		if !utf8.ValidString(s) || len(s) > MaxPathBytes {
			t.Fatalf("accepted %q", s)
		}
		for _, p := range parts {
			if p == "" || p == "." || p == ".." || len(p) > MaxComponentBytes || strings.ContainsAny(p, "/\x00") {
				t.Fatalf("SplitPath(%q) gave component %q", s, p)
			}
		}
		joined := JoinPath(parts)
		if len(joined) > len(s) || !strings.HasPrefix(s, joined) {
			t.Fatalf("JoinPath(SplitPath(%q)) = %q", s, joined)
		}
		again, err := SplitPath(joined)
		if err != nil || !slices.Equal(again, parts) {
			t.Fatalf("SplitPath(%q) = %q, %v; want %q", joined, again, err, parts)
		}
		if clean, err := CleanPath(s); err != nil || clean != joined {
			t.Fatalf("CleanPath(%q) = %q, %v", s, clean, err)
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	for _, e := range sampleEntries() {
		b, err := EncodeEntry(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(futureEntry(30))
	f.Add(append([]byte{30 | byte(KindIgnorable)}, futureEntry(30)[1:]...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if err != nil {
			if !errors.Is(err, ErrCorruptEntry) {
				t.Fatalf("error %v does not wrap ErrCorruptEntry", err)
			}
			return
		}
		enc, err := EncodeEntry(e)
		if err != nil {
			t.Fatalf("re-encoding %v: %v", e, err)
		}
		again, err := DecodeEntry(enc)
		if err != nil {
			t.Fatalf("decoding the re-encoding: %v", err)
		}
		if !proto.Equal(e, again) {
			t.Fatalf("decode(encode(e)) = %v, want %v", again, e)
		}
		// Whatever decodes must apply without a panic and leave a state
		// that checkpoints and restores.
		h := newHarness(t)
		h.mustApply(mkdir("/a"), touch("/a/f"), mountAt("/m", "mem://m"))
		h.apply(e)
		roundTrip(t, h.FSM)
	})
}

// FuzzRestore feeds bytes to Restore. With fixChecksum the trailing four
// bytes are replaced by the right CRC, so that the fuzzer reaches the
// structural checks behind it.
func FuzzRestore(f *testing.F) {
	f.Add(checkpointBytes(f, smallNamespace(f).FSM), false)
	f.Add(checkpointBytes(f, New(testConfig())), false)
	f.Add(craft(nil, rootRec(), dirRec(2, 1, "d"), fileRec(3, 2, "f")), true)
	f.Add(craft(nil, rootRec(), fileRec(3, 1, "z"), dirRec(2, 1, "a"), fileRec(4, 2, "x")), true)
	f.Add(craft(nil, rootRec(), opRec(&journalpb.OperationRecord{OpId: &journalpb.OperationID{Seq: 1}, ErrorCode: 2, ErrorMessage: "x"})), true)
	f.Add(craft(nil, rootRec(), opTable(true, 2), opRec(&journalpb.OperationRecord{OpId: &journalpb.OperationID{ClientLo: 1, Seq: 3}, TimeMs: 9}),
		opMark(1, 2), opMark(2, 5)), true)
	v1, err := os.ReadFile("testdata/checkpoint-v1.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v1, false)
	f.Fuzz(func(t *testing.T, b []byte, fixChecksum bool) {
		if fixChecksum && len(b) >= 4 {
			b = binary.BigEndian.AppendUint32(slices.Clone(b[:len(b)-4]), crc32.Checksum(b[:len(b)-4], castagnoli))
		}
		g := New(testConfig())
		if _, err := g.Restore(bytes.NewReader(b)); err != nil {
			if !errors.Is(err, ErrCorruptCheckpoint) {
				t.Fatalf("error %v does not wrap ErrCorruptCheckpoint", err)
			}
			if g.InodeCount() != 1 || g.AppliedIndex() != 0 {
				t.Fatal("a failed Restore changed the state")
			}
			return
		}
		// roundTrip writes, restores and checks the bytes are stable.
		r := roundTrip(t, g)
		checkCounts(t, r)
		// The restored state must go on applying.
		r.Apply(r.AppliedIndex()+1, touch("/fuzz"))
		r.Apply(r.AppliedIndex()+1, remove("/", recursive))
		roundTrip(t, r)
	})
}
