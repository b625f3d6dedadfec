package blockstore

import (
	"path/filepath"
	"strconv"
)

// Folder names inside a configured tier folder.
const (
	blocksFolder = "halo-blocks"
	tmpFolder    = "tmp"
	lockFileName = "lock"
)

// storageDir is one configured tier folder and its space. Its counters and
// block set are guarded by Store.mu.
type storageDir struct {
	tier     int // index in Config.Tiers
	alias    string
	medium   string
	path     string // as configured
	capacity int64
	// committed counts the bytes of committed blocks, reserved the space
	// promised to temp blocks and to moves under way.
	committed int64
	reserved  int64
	blocks    map[int64]*blockEntry
	lost      bool
}

func (d *storageDir) free() int64 { return d.capacity - d.committed - d.reserved }

func (d *storageDir) used() int64 { return d.committed + d.reserved }

func (d *storageDir) location() BlockLocation {
	return BlockLocation{Tier: d.alias, Medium: d.medium, Dir: d.path}
}

// isMemory says whether data here dies with the machine anyway, so that
// fsync would only cost time.
func (d *storageDir) isMemory() bool { return d.alias == TierMEM }

func (d *storageDir) blocksPath() string { return filepath.Join(d.path, blocksFolder) }

func (d *storageDir) tmpPath() string { return filepath.Join(d.path, blocksFolder, tmpFolder) }

func (d *storageDir) dataPath(blockID int64) string {
	return filepath.Join(d.blocksPath(), strconv.FormatInt(blockID, 10))
}

func (d *storageDir) metaPath(blockID int64) string { return d.dataPath(blockID) + metaSuffix }

// blockEntry is one committed block, guarded by Store.mu.
type blockEntry struct {
	id      int64
	length  int64
	dir     *storageDir
	readers int
	// moving marks a block chosen for a move or eviction, so that no
	// other eviction picks it; removed marks one dropped meanwhile, so
	// the move throws its copy away.
	moving  bool
	removed bool
	// Access history for the annotators: the logical time of the last
	// access and LRFU's combined recency and frequency at that time.
	lastAccess uint64
	crf        float64
}

func (e *blockEntry) meta() BlockMeta {
	return BlockMeta{ID: e.id, Length: e.length, Location: e.dir.location(), Path: e.dir.dataPath(e.id)}
}

// tmpDataPath is where a block is written before it is committed or moved
// here. One name per id is enough: a temp block and a move of the same id
// never overlap.
func (d *storageDir) tmpDataPath(blockID int64) string {
	return filepath.Join(d.tmpPath(), strconv.FormatInt(blockID, 10))
}
