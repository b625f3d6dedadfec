package ufs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strconv"

	"github.com/halo-fs/halo/ufs"
)

// A checkpoint object is a 24-byte header — magic "HLC1", the sequence
// number of the last batch it covers (u64), the highest epoch accepted up
// to there (u64), CRC-32C of those 20 bytes (u32) — followed by the
// namespace checkpoint, which carries its own header and checksum.
const (
	checkpointMagic     = "HLC1"
	checkpointHeaderLen = 24
)

// CheckpointHeader says where a checkpoint stands in the journal.
type CheckpointHeader struct {
	Seq   uint64 // the last batch the checkpoint covers
	Epoch uint64 // the highest epoch accepted up to Seq
}

func encodeCheckpointHeader(h CheckpointHeader) []byte {
	buf := make([]byte, 0, checkpointHeaderLen)
	buf = append(buf, checkpointMagic...)
	buf = binary.LittleEndian.AppendUint64(buf, h.Seq)
	buf = binary.LittleEndian.AppendUint64(buf, h.Epoch)
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
}

// DecodeCheckpointHeader parses the first bytes of a checkpoint object.
func DecodeCheckpointHeader(b []byte) (CheckpointHeader, error) {
	if len(b) < checkpointHeaderLen || string(b[:4]) != checkpointMagic {
		return CheckpointHeader{}, corrupt("not a journal checkpoint")
	}
	if want, got := binary.LittleEndian.Uint32(b[20:]), crc32.Checksum(b[:20], castagnoli); want != got {
		return CheckpointHeader{}, corrupt("checkpoint header checksum %#08x, computed %#08x", want, got)
	}
	return CheckpointHeader{Seq: binary.LittleEndian.Uint64(b[4:]), Epoch: binary.LittleEndian.Uint64(b[12:])}, nil
}

func checkpointPath(seq uint64) string { return checkpointDir + "/" + seqName(seq) }

// CheckpointPath is where checkpoint seq lives, for messages.
func (j *Journal) CheckpointPath(seq uint64) string {
	return ufs.Join(j.store.URI(), checkpointPath(seq))
}

// Checkpoints lists the checkpoints' sequence numbers, newest first.
func (j *Journal) Checkpoints(ctx context.Context) ([]uint64, error) {
	out, err := j.listSeqs(ctx, checkpointDir, "journal checkpoints")
	slices.Reverse(out)
	return out, err
}

// WriteCheckpoint writes the checkpoint covering batches up to h.Seq; write
// produces the namespace's bytes. The object appears whole or not at all. A
// checkpoint already written at h.Seq (by another standby) is kept: replicas
// that applied the same batches hold the same namespace.
func (j *Journal) WriteCheckpoint(ctx context.Context, h CheckpointHeader, write func(io.Writer) error) (string, error) {
	loc := j.CheckpointPath(h.Seq)
	w, err := j.store.Create(ctx, checkpointPath(h.Seq), ufs.CreateOptions{})
	if errors.Is(err, ufs.ErrExists) {
		return loc, nil
	}
	if err != nil {
		return "", fmt.Errorf("write checkpoint %s: %w", loc, err)
	}
	defer w.Abort()
	if _, err := w.Write(encodeCheckpointHeader(h)); err != nil {
		return "", fmt.Errorf("write checkpoint %s: %w", loc, err)
	}
	if err := write(w); err != nil {
		return "", fmt.Errorf("write checkpoint %s: %w", loc, err)
	}
	if err := w.Close(); err != nil {
		if errors.Is(err, ufs.ErrExists) {
			return loc, nil
		}
		return "", fmt.Errorf("write checkpoint %s: %w", loc, err)
	}
	return loc, nil
}

// OpenCheckpoint opens checkpoint seq and checks its header; the reader is
// positioned at the namespace's bytes.
func (j *Journal) OpenCheckpoint(ctx context.Context, seq uint64) (CheckpointHeader, io.ReadCloser, error) {
	r, err := j.store.Open(ctx, checkpointPath(seq))
	if err != nil {
		return CheckpointHeader{}, nil, fmt.Errorf("open checkpoint %s: %w", j.CheckpointPath(seq), err)
	}
	buf := make([]byte, checkpointHeaderLen)
	if _, err := io.ReadFull(r, buf); err != nil {
		r.Close()
		return CheckpointHeader{}, nil, fmt.Errorf("checkpoint %s: %w", j.CheckpointPath(seq), corrupt("header cut short: %v", err))
	}
	h, err := DecodeCheckpointHeader(buf)
	if err == nil && h.Seq != seq {
		err = corrupt("it says it covers batch %d", h.Seq)
	}
	if err != nil {
		r.Close()
		return CheckpointHeader{}, nil, fmt.Errorf("checkpoint %s: %w", j.CheckpointPath(seq), err)
	}
	return h, r, nil
}

// Collect deletes what the newest checkpoints make unnecessary: with
// checkpoints c0 > c1 > …, the checkpoints older than c1 and the batches up
// to c1. A reader within one checkpoint period of the end (at c1 or later)
// so never finds its next batch gone; one further behind gets ErrCompacted
// and restores c0. The compacted mark is raised before anything is
// deleted, and marks below the highest are pruned last. Collectors may
// run at once on several masters. It returns how many objects were
// deleted.
func (j *Journal) Collect(ctx context.Context) (int, error) {
	cps, err := j.Checkpoints(ctx)
	if err != nil || len(cps) < 2 {
		return 0, err
	}
	horizon := cps[1]
	floor, err := j.Compacted(ctx)
	if err != nil {
		return 0, err
	}
	if horizon > floor {
		if err := j.raiseMark(ctx, horizon); err != nil {
			return 0, err
		}
	}
	deleted := 0
	for _, old := range cps[2:] {
		if err := j.store.Delete(ctx, checkpointPath(old)); err != nil && !errors.Is(err, ufs.ErrNotFound) {
			return deleted, fmt.Errorf("delete old checkpoint %s: %w", j.CheckpointPath(old), err)
		}
		deleted++
	}
	batches, err := j.batchSeqs(ctx)
	if err != nil {
		return deleted, err
	}
	for _, seq := range batches {
		if seq > horizon {
			break
		}
		if err := j.store.Delete(ctx, batchPath(seq)); err != nil && !errors.Is(err, ufs.ErrNotFound) {
			return deleted, fmt.Errorf("delete journal batch %s: %w", j.BatchPath(seq), err)
		}
		deleted++
	}
	pruned, err := j.pruneMarks(ctx)
	return deleted + pruned, err
}

// Stats summarises the folder for operators and tests.
type Stats struct {
	Batches     int
	FirstSeq    uint64
	LastSeq     uint64
	Checkpoints []uint64
	Compacted   uint64
}

// Stat lists the folder.
func (j *Journal) Stat(ctx context.Context) (Stats, error) {
	var s Stats
	batches, err := j.batchSeqs(ctx)
	if err != nil {
		return s, err
	}
	if s.Batches = len(batches); s.Batches > 0 {
		s.FirstSeq, s.LastSeq = batches[0], batches[len(batches)-1]
	}
	if s.Checkpoints, err = j.Checkpoints(ctx); err != nil {
		return s, err
	}
	s.Compacted, err = j.Compacted(ctx)
	return s, err
}

// String names the journal in logs.
func (j *Journal) String() string {
	return "ufs journal " + j.store.URI() + " (cluster " + strconv.Quote(j.clusterID) + ")"
}
