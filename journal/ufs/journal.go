// Package ufs is the journal that masters share in ZooKeeper mode
// (alluxio.master.journal.type=UFS with alluxio.zookeeper.enabled): a
// folder on a ufs.Store (HDFS, S3, a shared path) that the leader appends
// to and standbys tail.
//
// # Layout
//
//	<folder>/FORMAT                 written by `halo format`; a master refuses a folder without it
//	<folder>/logs/<seq as 16 hex>   one immutable object per group-commit batch (see Batch)
//	<folder>/checkpoints/<seq hex>  the namespace after every batch up to seq
//	<folder>/compactions/<seq hex>  the compacted mark, the highest seq whose batch may
//	                                have been deleted, is the highest of these names
//	                                (see Compacted)
//
// Batches are numbered densely from 1. Each is written once with a
// conditional create (Create without Overwrite), which the store decides
// at commit time: of several writers of one sequence number exactly one
// succeeds. A store without Capabilities.ConditionalCreate is refused.
// Object stores cannot append, so one object per batch is the only way to
// make a batch durable before it is acknowledged; group commit keeps the
// number of objects down.
//
// # Fencing
//
// A new leader replays every batch, then writes an epoch marker at the
// next free sequence number, and serves only when that create succeeds:
// the marker proves it has seen every earlier batch. A leader appends at
// the sequence number after its own last batch. If any other master has
// written there (a newer leader's marker), the create fails with ErrExists
// and the writer is fenced (ErrFenced) — whether or not it has noticed that
// its ZooKeeper session is gone. The same check, made by reading, fences
// reads (Writer.Probe). Batches that garbage collection deletes free their
// sequence numbers, so the collector first raises the compacted mark, and
// a writer whose create lands at or below it treats the batch as void (and
// removes it). A claim is refused outright when the claimer has not read
// to the end: a batch exists at or after its position, or the mark has
// passed it (ErrBehind).
//
// # Reading rule
//
// Readers take batches in sequence order, and read the mark after each
// batch: one at or below it is not part of the journal (it may be a void
// create), and the reader restarts from the newest checkpoint. Each batch
// carries its writer's epoch; epochs grow from leader to leader. A batch
// whose epoch is lower than that of an earlier accepted batch comes from a
// deposed leader. With a conditional-create store it cannot exist (the
// deposed leader's create would have failed); should one appear anyway,
// every reader skips it the same way, logs it and counts it
// (Cursor.Skipped), so replicas never diverge and the history the newer
// leader built on stays intact.
package ufs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/halo-fs/halo/ufs"
	"github.com/hashicorp/go-hclog"
)

// Errors of the journal. Test for them with errors.Is.
var (
	ErrNotFormatted        = errors.New("ufsjournal: the journal folder is not formatted; run `halo format` first")
	ErrNoConditionalCreate = errors.New("ufsjournal: the store cannot create a file only if it is absent, decided by the store itself (ufs.Capabilities.ConditionalCreate), which the shared journal needs to fence out a deposed leader")
	// ErrNoBatch means no batch has been written at the sequence number yet.
	ErrNoBatch = errors.New("ufsjournal: no batch at this sequence number yet")
	// ErrCompacted means the batches a reader needs next were deleted
	// after a newer checkpoint was written: restart from that checkpoint.
	ErrCompacted = errors.New("ufsjournal: the next batch was garbage-collected; restore a newer checkpoint")
	// ErrFenced means another master has written where this writer would
	// have: it no longer leads, and must stop serving.
	ErrFenced = errors.New("ufsjournal: another master has written to the journal after this writer's last batch; this writer is fenced")
	// ErrBehind refuses a claim from a master that has not read to the
	// end of the journal: it must read on (or, when it also wraps
	// ErrCompacted, restore the newest checkpoint) and claim again. It
	// wraps ErrFenced.
	ErrBehind = fmt.Errorf("ufsjournal: the journal has moved past this master's position; it must catch up before it claims: %w", ErrFenced)
)

const (
	formatName    = "FORMAT"
	logsDir       = "logs"
	checkpointDir = "checkpoints"
	formatVersion = 1
	formatHeading = "halo shared UFS journal"
)

// Journal is a shared journal folder.
type Journal struct {
	store     ufs.Store
	clusterID string
	log       hclog.Logger
	// verifiedMark is the highest compacted mark this process has read.
	verifiedMark atomic.Uint64
}

func checkCapabilities(store ufs.Store) error {
	if !store.Capabilities().ConditionalCreate {
		return fmt.Errorf("%s: %w", store.URI(), ErrNoConditionalCreate)
	}
	return nil
}

// Format makes store an empty journal for cluster clusterID, deleting any
// journal already there (that is what `halo format` means). FORMAT goes
// last, so an interrupted format leaves a folder masters refuse.
func Format(ctx context.Context, store ufs.Store, clusterID string) error {
	if err := checkCapabilities(store); err != nil {
		return err
	}
	if clusterID == "" || strings.ContainsAny(clusterID, "\n\r") {
		return fmt.Errorf("ufsjournal: format: bad cluster id %q", clusterID)
	}
	for _, p := range []string{formatName, legacyMarkName} {
		if err := store.Delete(ctx, p); err != nil && !errors.Is(err, ufs.ErrNotFound) {
			return fmt.Errorf("format journal %s: %w", store.URI(), err)
		}
	}
	for _, dir := range []string{logsDir, checkpointDir, marksDir} {
		if err := store.DeleteAll(ctx, dir); err != nil {
			return fmt.Errorf("format journal %s: %w", store.URI(), err)
		}
	}
	text := fmt.Sprintf("%s\nversion=%d\ncluster.id=%s\n", formatHeading, formatVersion, clusterID)
	if err := ufs.WriteFile(ctx, store, formatName, []byte(text), ufs.CreateOptions{Overwrite: true}); err != nil {
		return fmt.Errorf("format journal %s: %w", store.URI(), err)
	}
	return nil
}

// Open opens the journal in store, which it then owns (Close closes it).
func Open(ctx context.Context, store ufs.Store, log hclog.Logger) (*Journal, error) {
	if err := checkCapabilities(store); err != nil {
		return nil, err
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	data, err := ufs.ReadFile(ctx, store, formatName)
	if errors.Is(err, ufs.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", store.URI(), ErrNotFormatted)
	}
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", store.URI(), err)
	}
	clusterID, err := parseFormat(data)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %s: %w", store.URI(), formatName, err)
	}
	j := &Journal{store: store, clusterID: clusterID, log: log}
	if err := j.carryLegacyMark(ctx); err != nil {
		return nil, fmt.Errorf("open journal %s: %w", store.URI(), err)
	}
	return j, nil
}

func parseFormat(data []byte) (clusterID string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() || sc.Text() != formatHeading {
		return "", corrupt("not a Halo journal FORMAT file")
	}
	version := 0
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "version":
			version, _ = strconv.Atoi(v)
		case "cluster.id":
			clusterID = v
		}
	}
	if version != formatVersion {
		return "", fmt.Errorf("journal format version %d; this master reads version %d", version, formatVersion)
	}
	if clusterID == "" {
		return "", corrupt("FORMAT names no cluster id")
	}
	return clusterID, nil
}

// ClusterID is the id written by Format.
func (j *Journal) ClusterID() string { return j.clusterID }

// URI is the journal folder.
func (j *Journal) URI() string { return j.store.URI() }

// Close closes the store.
func (j *Journal) Close() error { return j.store.Close() }

func seqName(seq uint64) string { return fmt.Sprintf("%016x", seq) }

func parseSeqName(name string) (uint64, bool) {
	if len(name) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(name, 16, 64)
	return v, err == nil
}

func batchPath(seq uint64) string { return logsDir + "/" + seqName(seq) }

// batchSeqs lists the batches' sequence numbers in ascending order.
func (j *Journal) batchSeqs(ctx context.Context) ([]uint64, error) {
	return j.listSeqs(ctx, logsDir, "journal batches")
}

// listSeqs returns the sequence numbers that name files in dir, in
// ascending order; other names are not the journal's, and are left alone.
func (j *Journal) listSeqs(ctx context.Context, dir, what string) ([]uint64, error) {
	list, err := j.store.List(ctx, dir)
	if errors.Is(err, ufs.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s in %s: %w", what, ufs.Join(j.store.URI(), dir), err)
	}
	var out []uint64
	for _, st := range list {
		if seq, ok := parseSeqName(st.Name); ok && !st.IsDir {
			out = append(out, seq)
		}
	}
	slices.Sort(out)
	return out, nil
}

// BatchPath is where batch seq lives, for messages and tools.
func (j *Journal) BatchPath(seq uint64) string { return ufs.Join(j.store.URI(), batchPath(seq)) }

// ReadBatch reads and checks batch seq. It returns ErrNoBatch if there is
// none (yet, or any more: see Next).
func (j *Journal) ReadBatch(ctx context.Context, seq uint64) (Batch, error) {
	data, err := ufs.ReadFile(ctx, j.store, batchPath(seq))
	if errors.Is(err, ufs.ErrNotFound) {
		return Batch{}, fmt.Errorf("batch %d: %w", seq, ErrNoBatch)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("read journal batch %s: %w", j.BatchPath(seq), err)
	}
	b, err := DecodeBatch(data)
	if err != nil {
		return Batch{}, fmt.Errorf("journal batch %s: %w", j.BatchPath(seq), err)
	}
	if b.Seq != seq {
		return Batch{}, fmt.Errorf("journal batch %s: %w", j.BatchPath(seq), corrupt("it says it is batch %d", b.Seq))
	}
	return b, nil
}

// readHeader reads only the header of batch seq.
func (j *Journal) readHeader(ctx context.Context, seq uint64) (Batch, error) {
	r, err := j.store.OpenRange(ctx, batchPath(seq), 0, maxHeaderLen)
	if errors.Is(err, ufs.ErrNotFound) {
		return Batch{}, fmt.Errorf("batch %d: %w", seq, ErrNoBatch)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("read journal batch %s: %w", j.BatchPath(seq), err)
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return Batch{}, fmt.Errorf("read journal batch %s: %w", j.BatchPath(seq), err)
	}
	b, err := DecodeBatchHeader(data)
	if err != nil {
		return Batch{}, fmt.Errorf("journal batch %s: %w", j.BatchPath(seq), err)
	}
	return b, nil
}

// createBatch writes b with a conditional create. ErrFenced means the
// sequence number was taken; any other error leaves it unknown whether the
// batch was written.
func (j *Journal) createBatch(ctx context.Context, b Batch) error {
	data, err := EncodeBatch(b)
	if err != nil {
		return err
	}
	err = ufs.WriteFile(ctx, j.store, batchPath(b.Seq), data, ufs.CreateOptions{})
	if errors.Is(err, ufs.ErrExists) {
		return fmt.Errorf("batch %d: %w", b.Seq, ErrFenced)
	}
	if err != nil {
		return fmt.Errorf("write journal batch %s: %w", j.BatchPath(b.Seq), err)
	}
	// A deleted batch frees its sequence number: a create that succeeded
	// at or below the compacted mark reused one, and is void. Readers
	// skip it by the mark; removing it keeps them from finding it at all.
	floor, err := j.Compacted(ctx)
	if err != nil {
		return fmt.Errorf("read the compacted mark after writing batch %d: %w", b.Seq, err)
	}
	if b.Seq <= floor {
		if err := j.store.Delete(ctx, batchPath(b.Seq)); err != nil && !errors.Is(err, ufs.ErrNotFound) {
			j.log.Warn("could not remove a void batch; the next collection will", "batch", j.BatchPath(b.Seq), "error", err)
		}
		return fmt.Errorf("batch %d is at or below the compacted mark %d: %w", b.Seq, floor, ErrFenced)
	}
	return nil
}

// checkAtEnd refuses a claim at next unless the claimer has read to the
// end of the journal: no batch at or after next, and next above the
// compacted mark. Without it a master that fell behind (tailing slowly,
// or paused) could write its marker on a collected name or after a hole,
// and serve a namespace missing the batches in between.
func (j *Journal) checkAtEnd(ctx context.Context, next uint64) error {
	batches, err := j.batchSeqs(ctx)
	if err != nil {
		return err
	}
	// The mark is read after the listing: a batch deleted before the
	// listing was compacted before it.
	floor, err := j.Compacted(ctx)
	if err != nil {
		return err
	}
	if next <= floor {
		return fmt.Errorf("this master is at batch %d, but batches through %d were collected (%w): %w", next, floor, ErrCompacted, ErrBehind)
	}
	if len(batches) > 0 && batches[len(batches)-1] >= next {
		return fmt.Errorf("batch %d exists and this master is at batch %d: %w", batches[len(batches)-1], next, ErrBehind)
	}
	return nil
}

// Next reads the batch at cur.NextSeq and applies the reading rule (see
// Cursor.Accept): batches from deposed leaders are skipped and logged. It
// returns the first accepted batch with cur advanced past it, ErrNoBatch
// when the reader is at the end, or ErrCompacted when the batch it needs
// was deleted.
func (j *Journal) Next(ctx context.Context, cur *Cursor) (Batch, error) {
	for {
		b, err := j.ReadBatch(ctx, cur.NextSeq)
		if err != nil && !errors.Is(err, ErrNoBatch) {
			return Batch{}, err
		}
		// The mark only grows and is raised before a batch is deleted, so
		// one read after the batch tells whether the batch (or its absence)
		// is from after a collection that freed its name.
		if cerr := j.checkNotCompacted(ctx, cur.NextSeq); cerr != nil {
			return Batch{}, cerr
		}
		if err != nil {
			return Batch{}, err
		}
		accepted, err := cur.Accept(b)
		if err != nil {
			return Batch{}, fmt.Errorf("journal batch %s: %w", j.BatchPath(b.Seq), err)
		}
		if accepted {
			return b, nil
		}
		j.log.Error("skipping a journal batch written by a deposed leader", "batch", j.BatchPath(b.Seq),
			"epoch", b.Epoch, "current_epoch", cur.Epoch, "writer", b.Writer, "records", len(b.Records))
	}
}
