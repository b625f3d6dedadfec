// Package journal owns the local, durable, append-only journal of a single
// master: a folder of segment files holding opaque records with consecutive
// indexes starting at 1, plus the checkpoints written beside them.
//
// The server above it does group commit: it collects concurrent proposals and
// hands them to AppendBatch as one batch, which costs one write and one fsync
// and is durable when it returns. On Open the journal scans every segment,
// cuts off a torn tail left by a crash in the middle of the last batch, and
// refuses to start when it finds damage anywhere else.
//
// Folder layout:
//
//	journal.meta                        magic, format version, cluster id
//	journal.lock                        held (flock) by the process using the folder
//	00000000000000a1.log                segment whose first record has index 0xa1
//	checkpoint-00000000000000f0.ckpt    checkpoint of the state after index 0xf0
//
// The journal does not look inside records or checkpoints; their formats
// belong to the state machine.
package journal

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Errors callers branch on. Returned errors wrap them with the file, offset or
// index they concern.
var (
	// ErrNotFormatted: the folder holds no journal.meta.
	ErrNotFormatted = errors.New("journal folder is not formatted")
	// ErrCorrupt: a segment, the meta file or the set of files is damaged in a
	// way that recovery must not paper over.
	ErrCorrupt = errors.New("journal is corrupt")
	// ErrUnsupportedVersion: a file was written by a newer format version.
	ErrUnsupportedVersion = errors.New("unsupported journal format version")
	// ErrLocked: another process (or another Journal in this process) uses the folder.
	ErrLocked = errors.New("journal folder is in use")
	// ErrForeignFiles: Format was pointed at a folder holding files that are
	// not part of a journal, and refuses to wipe it.
	ErrForeignFiles = errors.New("folder holds files that are not part of a journal")
	// ErrInvalidClusterID: the cluster id is empty, too long or not UTF-8.
	ErrInvalidClusterID = errors.New("invalid cluster id")
	// ErrInvalidOptions: an Options field is out of range.
	ErrInvalidOptions = errors.New("invalid journal options")
	// ErrClosed: the Journal was closed.
	ErrClosed = errors.New("journal is closed")
	// ErrWriteFailed: an earlier write or fsync failed. After a failed fsync
	// the kernel may have dropped dirty pages, so a retry that "succeeds"
	// proves nothing; the journal refuses further appends until reopened,
	// when recovery establishes what actually reached the disk.
	ErrWriteFailed = errors.New("an earlier journal write failed; reopen the journal")
	// ErrRecordTooLarge: a record is longer than MaxRecordBytes.
	ErrRecordTooLarge = errors.New("journal record too large")
	// ErrIndexOutOfRange: an index beyond LastIndex was given.
	ErrIndexOutOfRange = errors.New("index is beyond the last journal record")
	// ErrCompacted: the records asked for were removed after a checkpoint.
	ErrCompacted = errors.New("journal records were removed after a checkpoint")
	// ErrCheckpointNotFound: the checkpoint file is gone (removed by retention).
	ErrCheckpointNotFound = errors.New("checkpoint not found")
)

// Defaults for Options fields left zero.
const (
	DefaultSegmentBytes      int64 = 64 << 20
	DefaultRetainCheckpoints       = 2
)

// Options configures Open. Zero fields take their defaults.
type Options struct {
	// Dir is the journal folder, prepared by Format.
	Dir string
	// SegmentBytes is the size at which the journal starts a new segment
	// file. Segments are switched only between batches, so one may exceed it
	// by one batch. Default DefaultSegmentBytes.
	SegmentBytes int64
	// RetainCheckpoints is how many checkpoints are kept. Segments are kept
	// back to the oldest retained checkpoint, so the server can fall back to
	// an older checkpoint when the newest one is damaged. Default
	// DefaultRetainCheckpoints.
	RetainCheckpoints int
	// Logger receives recovery and cleanup messages. Default: discard.
	Logger hclog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, fmt.Errorf("%w: Dir is empty", ErrInvalidOptions)
	}
	if o.SegmentBytes < 0 {
		return o, fmt.Errorf("%w: SegmentBytes is %d, want > 0", ErrInvalidOptions, o.SegmentBytes)
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.RetainCheckpoints < 0 {
		return o, fmt.Errorf("%w: RetainCheckpoints is %d, want >= 1", ErrInvalidOptions, o.RetainCheckpoints)
	}
	if o.RetainCheckpoints == 0 {
		o.RetainCheckpoints = DefaultRetainCheckpoints
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	return o, nil
}

// Journal is an open journal folder. Its methods are safe for concurrent use.
// AppendBatch calls are serialized; the server's committer is meant to be
// their only caller, and Replay, checkpoints and LastIndex do not wait for its
// fsyncs.
type Journal struct {
	dir       string
	opts      Options
	logger    hclog.Logger
	clusterID string
	lockFile  *os.File

	// writeMu serializes AppendBatch, segment rotation and Close, and guards
	// the writer state below.
	writeMu     sync.Mutex
	active      *os.File // the segment being appended to
	activeFirst uint64   // index of the first record the active segment holds or will hold
	activeSize  int64
	frameBuf    []byte // reused encoding buffer
	writeErr    error  // first write or fsync failure; sticky

	// checkpointMu serializes WriteCheckpoint.
	checkpointMu sync.Mutex

	// mu guards the state below; it is never held across file I/O in the
	// append path, so LastIndex does not wait for an fsync.
	mu          sync.Mutex
	lastIndex   uint64
	segments    []uint64         // first index of each segment, ascending; the last one is active
	checkpoints []CheckpointInfo // newest first
	replays     int              // Replay calls in flight; segments are not removed while > 0
	closed      bool
}

// ClusterID returns the cluster id written by Format.
func (j *Journal) ClusterID() string { return j.clusterID }

// Dir returns the journal folder.
func (j *Journal) Dir() string { return j.dir }

// LastIndex returns the index of the last durable record; 0 for an empty
// journal. After compaction with no records left it is the index of the newest
// checkpoint.
func (j *Journal) LastIndex() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.lastIndex
}

// EntriesSinceCheckpoint returns how many records were appended after the
// newest checkpoint (all of them when there is none): the server's trigger
// for writing the next one.
func (j *Journal) EntriesSinceCheckpoint() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.checkpoints) == 0 {
		return j.lastIndex
	}
	return j.lastIndex - j.checkpoints[0].Index
}

// Close releases the folder. Records already returned by AppendBatch are
// durable; Close only closes files.
func (j *Journal) Close() error {
	j.writeMu.Lock()
	defer j.writeMu.Unlock()
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrClosed
	}
	j.closed = true
	j.mu.Unlock()

	var errs []error
	if j.active != nil {
		if err := j.active.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close segment: %w", err))
		}
		j.active = nil
	}
	if err := j.lockFile.Close(); err != nil {
		errs = append(errs, fmt.Errorf("release %s: %w", lockFileName, err))
	}
	return errors.Join(errs...)
}
