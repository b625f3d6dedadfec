package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

const (
	metaFileName = "journal.meta"
	lockFileName = "journal.lock"
	tmpSuffix    = ".tmp"

	metaMagic   = "HALOJRNL"
	metaVersion = 1
	// metaFixedBytes is the meta layout without the cluster id:
	// magic(8) version(4) idLen(2) ... crc32c(4).
	metaFixedBytes = len(metaMagic) + 4 + 2 + 4

	// MaxClusterIDBytes bounds the cluster id written by Format.
	MaxClusterIDBytes = 255
)

// Format prepares dir as an empty journal for cluster clusterID. It creates
// dir if needed. Formatting an existing journal wipes it (segments,
// checkpoints and leftovers are deleted): that is what `halo format` means.
// It refuses a folder in use by a running master (ErrLocked) and a folder that
// holds anything that is not a journal file (ErrForeignFiles), so a mistyped
// path cannot wipe unrelated data.
func Format(dir, clusterID string) error {
	if err := validateClusterID(clusterID); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("format journal folder %s: %w", dir, err)
	}
	lock, err := lockFolder(dir)
	if err != nil {
		return err
	}
	defer lock.Close()

	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("format journal folder %s: %w", dir, err)
	}
	var wipe []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == lockFileName || name == metaFileName:
		case !e.Type().IsRegular() || !isJournalFileName(name):
			return fmt.Errorf("format journal folder %s: %w (for example %q); remove them or choose another folder",
				dir, ErrForeignFiles, name)
		default:
			wipe = append(wipe, name)
		}
	}

	// The meta goes first: a crash in the middle of a wipe leaves an
	// unformatted folder, never a journal that looks valid but lost records.
	if err := os.Remove(filepath.Join(dir, metaFileName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("format journal folder %s: %w", dir, err)
	}
	if err := SyncDir(dir); err != nil {
		return err
	}
	for _, name := range wipe {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("format journal folder %s: %w", dir, err)
		}
	}
	return WriteFileAtomic(dir, metaFileName, encodeMeta(clusterID))
}

// isJournalFileName reports whether Format may delete the file: a segment, a
// checkpoint, or a leftover temporary of either.
func isJournalFileName(name string) bool {
	base, _ := strings.CutSuffix(name, tmpSuffix)
	if base == metaFileName {
		return true
	}
	if _, ok := parseSegmentName(base); ok {
		return true
	}
	_, ok := parseCheckpointName(base)
	return ok
}

func validateClusterID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidClusterID)
	case len(id) > MaxClusterIDBytes:
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrInvalidClusterID, len(id), MaxClusterIDBytes)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidClusterID)
	}
	return nil
}

func encodeMeta(clusterID string) []byte {
	b := make([]byte, 0, metaFixedBytes+len(clusterID))
	b = append(b, metaMagic...)
	b = binary.LittleEndian.AppendUint32(b, metaVersion)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(clusterID)))
	b = append(b, clusterID...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeMeta parses journal.meta and returns the cluster id.
func decodeMeta(b []byte) (string, error) {
	if len(b) < metaFixedBytes || !bytes.Equal(b[:len(metaMagic)], []byte(metaMagic)) {
		return "", fmt.Errorf("%w: %s is not a halo journal meta file", ErrCorrupt, metaFileName)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return "", fmt.Errorf("%w: %s fails its checksum", ErrCorrupt, metaFileName)
	}
	if v := binary.LittleEndian.Uint32(b[8:12]); v != metaVersion {
		return "", fmt.Errorf("%w: %s has version %d, this binary reads %d", ErrUnsupportedVersion, metaFileName, v, metaVersion)
	}
	idLen := int(binary.LittleEndian.Uint16(b[12:14]))
	if len(b) != metaFixedBytes+idLen {
		return "", fmt.Errorf("%w: %s is %d bytes, its cluster id length says %d", ErrCorrupt, metaFileName, len(b), metaFixedBytes+idLen)
	}
	id := string(b[14 : 14+idLen])
	if err := validateClusterID(id); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrCorrupt, metaFileName, err)
	}
	return id, nil
}

// readMeta returns the cluster id of the journal in dir.
func readMeta(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("journal folder %s is not formatted; run `halo format`: %w", dir, ErrNotFormatted)
	}
	if err != nil {
		return "", fmt.Errorf("read journal meta: %w", err)
	}
	id, err := decodeMeta(b)
	if err != nil {
		return "", fmt.Errorf("journal folder %s: %w", dir, err)
	}
	return id, nil
}

// WriteFileAtomic writes name in dir through a temporary file, fsyncs it,
// renames it into place and fsyncs the folder, so readers see the old file
// or the whole new one. Other small state files beside a journal (the Raft
// mode's cluster id) are written the same way.
func WriteFileAtomic(dir, name string, data []byte) error {
	tmp := filepath.Join(dir, name+tmpSuffix)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return SyncDir(dir)
}

// SyncDir makes file creations, renames and removals in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// lockFolder takes the folder's exclusive lock, held until the returned file
// is closed (or the process dies).
func lockFolder(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("journal folder %s: %w by another process or journal", dir, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}
