package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name      string
		clusterID string
		setup     func(t *testing.T, dir string) // prepares dir before Format
		wantErr   error
		// wantKept lists files that must survive (a refused Format deletes nothing).
		wantKept []string
	}{
		{name: "missing folder is created", clusterID: "c1"},
		{name: "empty folder", clusterID: "c1", setup: func(t *testing.T, dir string) { mkdir(t, dir) }},
		{
			name: "existing journal is wiped", clusterID: "c2",
			setup: func(t *testing.T, dir string) {
				if err := Format(dir, "old"); err != nil {
					t.Fatal(err)
				}
				j := openTestJournal(t, Options{Dir: dir, SegmentBytes: 256})
				appendTestBatches(t, j, 5, 5, 5, 5)
				writeTestCheckpoint(t, j, 10)
				mustClose(t, j)
				writeFile(t, filepath.Join(dir, segmentName(99)+tmpSuffix), []byte("leftover"))
			},
		},
		{
			name: "foreign file refused", clusterID: "c1", wantErr: ErrForeignFiles,
			setup: func(t *testing.T, dir string) {
				if err := Format(dir, "old"); err != nil {
					t.Fatal(err)
				}
				j := openTestJournal(t, Options{Dir: dir})
				appendTestBatches(t, j, 3)
				mustClose(t, j)
				writeFile(t, filepath.Join(dir, "notes.txt"), []byte("mine"))
			},
			wantKept: []string{"notes.txt", metaFileName, segmentName(1)},
		},
		{
			name: "subfolder refused", clusterID: "c1", wantErr: ErrForeignFiles,
			setup:    func(t *testing.T, dir string) { mkdir(t, filepath.Join(dir, "data")) },
			wantKept: []string{"data"},
		},
		{name: "empty cluster id", clusterID: "", wantErr: ErrInvalidClusterID},
		{name: "long cluster id", clusterID: strings.Repeat("x", MaxClusterIDBytes+1), wantErr: ErrInvalidClusterID},
		{name: "non-UTF-8 cluster id", clusterID: "\xff", wantErr: ErrInvalidClusterID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "a", "journal")
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			err := Format(dir, tt.clusterID)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Format error = %v, want %v", err, tt.wantErr)
				}
				for _, name := range tt.wantKept {
					if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
						t.Errorf("refused Format removed %s: %v", name, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Format: %v", err)
			}
			j := openTestJournal(t, Options{Dir: dir})
			if j.ClusterID() != tt.clusterID {
				t.Errorf("ClusterID() = %q, want %q", j.ClusterID(), tt.clusterID)
			}
			if j.LastIndex() != 0 {
				t.Errorf("LastIndex() = %d on a formatted journal, want 0", j.LastIndex())
			}
			if ckpts, _ := j.Checkpoints(); len(ckpts) != 0 {
				t.Errorf("Checkpoints() = %v on a formatted journal, want none", ckpts)
			}
			if got := segmentFirsts(t, dir); len(got) != 1 || got[0] != 1 {
				t.Errorf("segments %v on a formatted journal, want one starting at 1", got)
			}
		})
	}
}

func TestOpenUnformatted(t *testing.T) {
	for name, dir := range map[string]string{
		"empty folder":   t.TempDir(),
		"missing folder": filepath.Join(t.TempDir(), "nope"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(Options{Dir: dir})
			if !errors.Is(err, ErrNotFormatted) {
				t.Fatalf("Open error = %v, want ErrNotFormatted", err)
			}
			if msg := err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, "halo format") {
				t.Errorf("error %q should name the folder and say to run `halo format`", msg)
			}
			if _, err := os.Stat(filepath.Join(dir, lockFileName)); err == nil {
				t.Error("Open of an unformatted folder created a lock file")
			}
		})
	}
}

func TestDecodeMeta(t *testing.T) {
	valid := encodeMeta("cluster-7")
	flip := func(i int) []byte {
		b := bytes.Clone(valid)
		b[i] ^= 0x40
		return b
	}
	newer := bytes.Clone(valid[:len(valid)-4])
	newer[8] = 2
	newer = binary.LittleEndian.AppendUint32(newer, crc32.Checksum(newer, castagnoli))
	tests := []struct {
		name    string
		in      []byte
		want    string
		wantErr error
	}{
		{name: "valid", in: valid, want: "cluster-7"},
		{name: "empty", in: nil, wantErr: ErrCorrupt},
		{name: "bad magic", in: flip(0), wantErr: ErrCorrupt},
		{name: "flipped cluster id", in: flip(15), wantErr: ErrCorrupt},
		{name: "flipped checksum", in: flip(len(valid) - 1), wantErr: ErrCorrupt},
		{name: "truncated", in: valid[:len(valid)-1], wantErr: ErrCorrupt},
		{name: "trailing byte", in: append(bytes.Clone(valid), 0), wantErr: ErrCorrupt},
		{name: "newer version", in: newer, wantErr: ErrUnsupportedVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeMeta(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("decodeMeta error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("decodeMeta = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta("c"))
	f.Add(encodeMeta(strings.Repeat("é", 100)))
	f.Add([]byte(metaMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := decodeMeta(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeMeta(id), b) {
			t.Fatalf("decodeMeta accepted %x as %q, which encodes differently", b, id)
		}
	})
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
