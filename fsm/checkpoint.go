package fsm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

// Checkpoint layout (all integers big-endian):
//
//	magic "HALOCKPT" | version u32 | header fields (see checkpointHeader)
//	records: kind u8 | length uvarint | protobuf bytes     (repeated)
//	end marker u8 (recordEnd) | CRC-32C u32 of every byte before it
//
// Inodes are written depth first with children in name order, mounts by id,
// then the operation table's record, its operation records oldest first and
// its client marks (see operationTable.eachMark), so equal states give equal
// bytes. Version 1 had no table record and no marks (nor record times): it
// restores with the default table limits.
const (
	checkpointMagic   = "HALOCKPT"
	checkpointVersion = 2
	// oldestCheckpointVersion is the oldest format this master still reads.
	oldestCheckpointVersion = 1

	recordInode     byte = 1
	recordMount     byte = 2
	recordOperation byte = 3
	recordCluster   byte = 4
	recordOpTable   byte = 5
	recordOpMark    byte = 6
	recordEnd       byte = 0xff

	// maxCheckpointRecord bounds one record so that a corrupt length cannot
	// make the reader allocate without limit.
	maxCheckpointRecord = 64 << 20

	// ioBufferBytes buffers checkpoint reads and writes.
	ioBufferBytes = 256 << 10

	// maxPreallocatedIDs bounds what the header's inode count, not yet
	// checked, may make Restore allocate up front.
	maxPreallocatedIDs = 1 << 16
)

// ErrCorruptCheckpoint is wrapped by every checkpoint decoding error.
var ErrCorruptCheckpoint = errors.New("corrupt checkpoint")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CheckpointHeader describes a checkpoint.
type CheckpointHeader struct {
	Version      uint32
	AppliedIndex uint64
	InodeCount   uint64
	NextInodeID  uint64
	NextMountID  uint64
	MountCount   uint64
	OpCount      uint64
}

const headerBytes = 8 + 4 + 6*8

func (h CheckpointHeader) marshal() []byte {
	b := make([]byte, 0, headerBytes)
	b = append(b, checkpointMagic...)
	b = binary.BigEndian.AppendUint32(b, h.Version)
	for _, v := range []uint64{h.AppliedIndex, h.InodeCount, h.NextInodeID, h.NextMountID, h.MountCount, h.OpCount} {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b
}

func parseHeader(b []byte) (CheckpointHeader, error) {
	if string(b[:8]) != checkpointMagic {
		return CheckpointHeader{}, fmt.Errorf("%w: bad magic %q (not a Halo checkpoint)", ErrCorruptCheckpoint, b[:8])
	}
	h := CheckpointHeader{Version: binary.BigEndian.Uint32(b[8:12])}
	if h.Version < oldestCheckpointVersion || h.Version > checkpointVersion {
		return h, fmt.Errorf("%w: format version %d is not supported (this master reads versions %d to %d)", ErrCorruptCheckpoint, h.Version, oldestCheckpointVersion, checkpointVersion)
	}
	vals := []*uint64{&h.AppliedIndex, &h.InodeCount, &h.NextInodeID, &h.NextMountID, &h.MountCount, &h.OpCount}
	for i, v := range vals {
		*v = binary.BigEndian.Uint64(b[12+8*i:])
	}
	return h, nil
}

// LooksLikeCheckpoint tells whether data starts as a Halo checkpoint (or
// backup) does; Restore checks the rest.
func LooksLikeCheckpoint(data []byte) bool {
	return len(data) >= len(checkpointMagic) && string(data[:len(checkpointMagic)]) == checkpointMagic
}

// checksumWriter counts and checksums what passes through.
type checksumWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	buf []byte
}

func (c *checksumWriter) write(b []byte) error {
	c.crc.Write(b)
	_, err := c.w.Write(b)
	return err
}

// marshalSized marshals a record whose size was just computed for its
// length prefix, reusing that size: computing sizes was a quarter of a
// checkpoint's time, and marshalling computed each one a second time.
var marshalSized = proto.MarshalOptions{Deterministic: true, UseCachedSize: true}

func (c *checksumWriter) record(kind byte, m proto.Message) error {
	var err error
	c.buf = append(c.buf[:0], kind)
	size := proto.Size(m)
	c.buf = binary.AppendUvarint(c.buf, uint64(size))
	c.buf, err = marshalSized.MarshalAppend(c.buf, m)
	if err != nil {
		return err
	}
	return c.write(c.buf)
}

// WriteCheckpoint writes the whole state to w and returns its header. It
// holds the read lock while it writes, so mutations wait.
func (f *FSM) WriteCheckpoint(w io.Writer) (CheckpointHeader, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	h := CheckpointHeader{
		Version:      checkpointVersion,
		AppliedIndex: f.applied,
		InodeCount:   f.inodes,
		NextInodeID:  f.nextID,
		NextMountID:  f.mounts.nextID,
		MountCount:   uint64(len(f.mounts.byID)),
		OpCount:      uint64(f.ops.len()),
	}
	cw, err := newChecksumWriter(w, h)
	if err != nil {
		return h, err
	}
	rec := &journalpb.InodeRecord{}
	err = walkSubtree(f.root, func(n *Inode) error {
		fillInodeRecord(rec, n)
		return cw.record(recordInode, rec)
	})
	if err != nil {
		return h, err
	}
	for _, m := range f.mounts.sorted() {
		if err := cw.record(recordMount, m.record()); err != nil {
			return h, err
		}
	}
	if err := cw.record(recordOpTable, f.ops.tableRecord()); err != nil {
		return h, err
	}
	if err := f.ops.each(func(r *journalpb.OperationRecord) error { return cw.record(recordOperation, r) }); err != nil {
		return h, err
	}
	if err := f.ops.eachMark(func(r *journalpb.ForgottenOperationsRecord) error { return cw.record(recordOpMark, r) }); err != nil {
		return h, err
	}
	if f.clusterID != "" {
		if err := cw.record(recordCluster, &journalpb.ClusterInfoEntry{ClusterId: f.clusterID}); err != nil {
			return h, err
		}
	}
	return h, cw.finish()
}

func newChecksumWriter(w io.Writer, h CheckpointHeader) (*checksumWriter, error) {
	cw := &checksumWriter{w: bufio.NewWriterSize(w, ioBufferBytes), crc: crc32.New(castagnoli)}
	return cw, cw.write(h.marshal())
}

// finish writes the end marker and the checksum.
func (c *checksumWriter) finish() error {
	if err := c.write([]byte{recordEnd}); err != nil {
		return err
	}
	if _, err := c.w.Write(binary.BigEndian.AppendUint32(nil, c.crc.Sum32())); err != nil {
		return err
	}
	return c.w.Flush()
}

// WriteImportedCheckpoint writes a checkpoint of a namespace built outside
// the FSM — one imported from another system's backup — so that it enters
// every HA mode the way a Halo backup does, and Restore checks it like any
// other. inodes come root first, depth first, with ids from RootInodeID up
// in that order; mounts by id, numbered from 1.
func WriteImportedCheckpoint(w io.Writer, inodes []*journalpb.InodeRecord, mounts []*journalpb.MountRecord) (CheckpointHeader, error) {
	h := CheckpointHeader{
		Version:     checkpointVersion,
		InodeCount:  uint64(len(inodes)),
		NextInodeID: RootInodeID + uint64(len(inodes)),
		NextMountID: uint64(len(mounts)) + 1,
		MountCount:  uint64(len(mounts)),
	}
	cw, err := newChecksumWriter(w, h)
	if err != nil {
		return h, err
	}
	for _, rec := range inodes {
		if err := cw.record(recordInode, rec); err != nil {
			return h, err
		}
	}
	for _, m := range mounts {
		if err := cw.record(recordMount, m); err != nil {
			return h, err
		}
	}
	// A new namespace's table: the default limits, nothing remembered.
	table := &journalpb.OperationTableRecord{Config: DefaultOperationTableSettings().ConfigEntry()}
	if err := cw.record(recordOpTable, table); err != nil {
		return h, err
	}
	return h, cw.finish()
}

func fillInodeRecord(rec *journalpb.InodeRecord, n *Inode) {
	var parentID uint64
	if n.parent != nil {
		parentID = n.parent.id
	}
	*rec = journalpb.InodeRecord{
		Id:                     n.id,
		ParentId:               parentID,
		Name:                   n.name,
		IsDirectory:            n.isDir(),
		CreationTimeMs:         n.ctime,
		LastModificationTimeMs: n.mtime,
		Owner:                  n.owner(),
		Group:                  n.group(),
		Mode:                   uint32(n.mode),
		Length:                 n.length,
		BlockIds:               n.blockIDs,
		Completed:              n.flags&flagCompleted != 0,
		Pinned:                 n.flags&flagPinned != 0,
		TtlMs:                  n.ttl(),
		PersistenceState:       journalpb.PersistenceState(n.persist),
		BlockSizeBytes:         n.blockSize(),
		MountPoint:             n.isMountPoint(),
		MountId:                n.mountID(),
		ChildrenLoaded:         n.flags&flagChildrenLoaded != 0,
	}
}

// checksumReader checksums what it reads.
type checksumReader struct {
	r   *bufio.Reader
	crc uint32
	off int64
	buf []byte
	one [1]byte
}

func (c *checksumReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err != nil {
		return 0, err
	}
	c.one[0] = b
	c.crc = crc32.Update(c.crc, castagnoli, c.one[:])
	c.off++
	return b, nil
}

// readFull reads n bytes into a buffer reused between calls. The buffer
// grows with what actually arrives, so that a corrupt length cannot make
// the reader allocate far more than the checkpoint holds.
func (c *checksumReader) readFull(n int) ([]byte, error) {
	const step = 1 << 20
	b := c.buf[:0]
	for len(b) < n {
		want := min(n-len(b), step)
		if cap(b)-len(b) < want {
			b = append(b[:cap(b)], make([]byte, want)...)[:len(b)]
		}
		got, err := io.ReadFull(c.r, b[len(b):len(b)+want])
		b = b[:len(b)+got]
		if err != nil {
			c.buf = b
			return nil, err
		}
	}
	c.buf = b
	c.crc = crc32.Update(c.crc, castagnoli, b)
	c.off += int64(n)
	return b, nil
}

// ReadCheckpointHeader reads only the header of a checkpoint. It does not
// verify the checksum; Restore does.
func ReadCheckpointHeader(r io.Reader) (CheckpointHeader, error) {
	b := make([]byte, headerBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return CheckpointHeader{}, fmt.Errorf("%w: header: %v", ErrCorruptCheckpoint, err)
	}
	return parseHeader(b)
}

// Restore replaces the state with the checkpoint read from r. The
// checkpoint is checked completely — structure, counts and checksum —
// before anything is replaced; on error the state is unchanged.
func (f *FSM) Restore(r io.Reader) (CheckpointHeader, error) {
	fresh := New(f.cfg)
	h, err := fresh.decodeCheckpoint(r)
	if err != nil {
		return h, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.root, f.nextID, f.inodes, f.dirs, f.mounts, f.ops, f.applied, f.owners, f.clusterID, f.blocks, f.index, f.toPersist =
		fresh.root, fresh.nextID, fresh.inodes, fresh.dirs, fresh.mounts, fresh.ops, fresh.applied, fresh.owners, fresh.clusterID, fresh.blocks, fresh.index, fresh.toPersist
	return h, nil
}

func corrupt(off int64, format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", ErrCorruptCheckpoint, off, fmt.Sprintf(format, args...))
}

// closeDir takes the last open directory off the path: nothing more is
// written under it, so the longest path below it is known.
func (st *restoreState) closeDir() {
	foldBelow(st.open[len(st.open)-1])
	st.open = st.open[:len(st.open)-1]
}

// restoreState is what decoding keeps beside the tree to check it.
type restoreState struct {
	// open is the path from the root to the directory last written:
	// inodes are written depth first, so a parent is always on it.
	open []*Inode
	// inodes are those read, the root aside, in the order read: the id
	// index is built from them once their number is known.
	inodes      []*Inode
	maxID       uint64
	mountPoints uint64
	dirs        uint64
	opKeys      map[opKey]struct{}
	// opPhase orders the table's records: its own (1), operations (2),
	// marks (3).
	opPhase int
}

func (f *FSM) decodeCheckpoint(r io.Reader) (CheckpointHeader, error) {
	cr := &checksumReader{r: bufio.NewReaderSize(r, ioBufferBytes)}
	hb, err := cr.readFull(headerBytes)
	if err != nil {
		return CheckpointHeader{}, fmt.Errorf("%w: header: %v", ErrCorruptCheckpoint, err)
	}
	h, err := parseHeader(hb)
	if err != nil {
		return h, err
	}
	st := &restoreState{inodes: make([]*Inode, 0, min(h.InodeCount, maxPreallocatedIDs)), opKeys: map[opKey]struct{}{}}
	var inodes, mounts, ops uint64
	rec := &journalpb.InodeRecord{}
	for {
		start := cr.off
		kind, err := cr.ReadByte()
		if err != nil {
			return h, corrupt(start, "truncated before the end marker")
		}
		if kind == recordEnd {
			break
		}
		size, err := binary.ReadUvarint(cr)
		if err != nil {
			return h, corrupt(start, "bad record length")
		}
		if size > maxCheckpointRecord {
			return h, corrupt(start, "record length %d exceeds the limit", size)
		}
		body, err := cr.readFull(int(size))
		if err != nil {
			return h, corrupt(start, "truncated record")
		}
		switch kind {
		case recordInode:
			rec.Reset()
			if err := proto.Unmarshal(body, rec); err != nil {
				return h, corrupt(start, "inode record: %v", err)
			}
			if err := f.restoreInode(rec, st, inodes == 0); err != nil {
				return h, corrupt(start, "%v", err)
			}
			inodes++
		case recordMount:
			m := &journalpb.MountRecord{}
			if err := proto.Unmarshal(body, m); err != nil {
				return h, corrupt(start, "mount record: %v", err)
			}
			parts, err := SplitPath(m.Path)
			if err != nil || m.MountId == 0 || m.UfsUri == "" {
				return h, corrupt(start, "mount record with bad path %q, id %d or URI %q", m.Path, m.MountId, m.UfsUri)
			}
			if _, dup := f.mounts.byID[m.MountId]; dup {
				return h, corrupt(start, "duplicate mount id %d", m.MountId)
			}
			f.mounts.add(&mount{id: m.MountId, parts: parts, ufsURI: m.UfsUri, readOnly: m.ReadOnly, shared: m.Shared, options: copyOptions(m.Options)})
			mounts++
		case recordOperation:
			o := &journalpb.OperationRecord{}
			if err := proto.Unmarshal(body, o); err != nil || o.OpId == nil {
				return h, corrupt(start, "operation record is malformed")
			}
			if _, dup := st.opKeys[keyOf(o.OpId)]; dup {
				return h, corrupt(start, "duplicate operation id %v", o.OpId)
			}
			st.opKeys[keyOf(o.OpId)] = struct{}{}
			if err := st.enterOpPhase(2); err != nil {
				return h, corrupt(start, "%v", err)
			}
			if err := f.ops.restoreRecord(o); err != nil {
				return h, corrupt(start, "%v", err)
			}
			ops++
		case recordOpTable:
			r := &journalpb.OperationTableRecord{}
			if err := proto.Unmarshal(body, r); err != nil {
				return h, corrupt(start, "operation table record: %v", err)
			}
			if err := st.enterOpPhase(1); err != nil {
				return h, corrupt(start, "%v", err)
			}
			if err := f.ops.restoreConfig(r); err != nil {
				return h, corrupt(start, "%v", err)
			}
		case recordOpMark:
			r := &journalpb.ForgottenOperationsRecord{}
			if err := proto.Unmarshal(body, r); err != nil {
				return h, corrupt(start, "operation mark record: %v", err)
			}
			if err := st.enterOpPhase(3); err != nil {
				return h, corrupt(start, "%v", err)
			}
			if err := f.ops.restoreMark(r); err != nil {
				return h, corrupt(start, "%v", err)
			}
		case recordCluster:
			ci := &journalpb.ClusterInfoEntry{}
			if err := proto.Unmarshal(body, ci); err != nil || ci.ClusterId == "" || f.clusterID != "" {
				return h, corrupt(start, "cluster record is malformed or repeated")
			}
			f.clusterID = ci.ClusterId
		default:
			return h, corrupt(start, "unknown record kind %d", kind)
		}
	}
	sum := cr.crc
	tail := make([]byte, 4)
	if _, err := io.ReadFull(cr.r, tail); err != nil {
		return h, corrupt(cr.off, "missing checksum")
	}
	if got := binary.BigEndian.Uint32(tail); got != sum {
		return h, corrupt(cr.off, "checksum mismatch: stored %08x, computed %08x", got, sum)
	}
	if _, err := cr.r.ReadByte(); err != io.EOF {
		return h, corrupt(cr.off+4, "trailing bytes after the checksum")
	}
	if inodes == 0 {
		return h, corrupt(cr.off, "no root inode")
	}
	if inodes != h.InodeCount || mounts != h.MountCount || ops != h.OpCount {
		return h, corrupt(cr.off, "counts disagree with the header: %d inodes (header %d), %d mounts (header %d), %d operations (header %d)",
			inodes, h.InodeCount, mounts, h.MountCount, ops, h.OpCount)
	}
	if err := f.indexRestored(st.inodes); err != nil {
		return h, corrupt(cr.off, "%v", err)
	}
	if h.NextInodeID <= st.maxID {
		return h, corrupt(cr.off, "next inode id %d is not above the ids in use", h.NextInodeID)
	}
	if st.mountPoints != mounts {
		return h, corrupt(cr.off, "%d mount point inodes for %d mounts", st.mountPoints, mounts)
	}
	for _, m := range f.mounts.sorted() {
		n := f.root
		for _, name := range m.parts {
			if n = n.children.get(name); n == nil {
				break
			}
		}
		if n == nil || !n.isMountPoint() || n.mountID() != m.id {
			return h, corrupt(cr.off, "mount %d at %s has no matching mount point inode", m.id, JoinPath(m.parts))
		}
	}
	if h.NextMountID < f.mounts.nextID {
		return h, corrupt(cr.off, "next mount id %d is not above the ids in use", h.NextMountID)
	}
	for len(st.open) > 0 {
		st.closeDir()
	}
	f.nextID = h.NextInodeID
	f.mounts.nextID = h.NextMountID
	f.inodes = inodes
	f.dirs = st.dirs
	f.applied = h.AppliedIndex
	return h, nil
}

// enterOpPhase checks that the operation table's records come in order:
// at most one table record first, then operations, then marks.
func (st *restoreState) enterOpPhase(phase int) error {
	if phase < st.opPhase || phase == 1 && st.opPhase == 1 {
		return fmt.Errorf("operation table records out of order")
	}
	st.opPhase = phase
	return nil
}

func (f *FSM) restoreInode(rec *journalpb.InodeRecord, st *restoreState, first bool) error {
	if err := checkInodeRecord(rec); err != nil {
		return err
	}
	var n *Inode
	if first {
		if rec.Id != RootInodeID || rec.ParentId != 0 || !rec.IsDirectory || rec.Name != "" {
			return fmt.Errorf("the first inode is not the root directory")
		}
		n = f.root
		f.fillInode(n, rec)
	} else {
		for len(st.open) > 0 && st.open[len(st.open)-1].id != rec.ParentId {
			st.closeDir()
		}
		if len(st.open) == 0 {
			return fmt.Errorf("inode %d names parent %d, which is not a directory on the path written before it", rec.Id, rec.ParentId)
		}
		parent := st.open[len(st.open)-1]
		if _, err := SplitPath("/" + rec.Name); err != nil || rec.Name == "" || containsSlash(rec.Name) {
			return fmt.Errorf("inode %d has an invalid name %q", rec.Id, rec.Name)
		}
		if parent.children.get(rec.Name) != nil {
			return fmt.Errorf("inode %d: duplicate name %q in directory %d", rec.Id, rec.Name, rec.ParentId)
		}
		if rec.Id <= RootInodeID {
			return fmt.Errorf("inode has a reserved id %d", rec.Id)
		}
		n = &Inode{parent: parent}
		f.fillInode(n, rec)
		parent.children.insert(n)
		f.blocks.track(n)
		f.toPersist.track(n)
		st.inodes = append(st.inodes, n)
	}
	if n.isDir() {
		st.open = append(st.open, n)
		st.dirs++
	} else {
		foldBelow(n)
	}
	if n.isMountPoint() {
		st.mountPoints++
	}
	st.maxID = max(st.maxID, n.id)
	return nil
}

// indexRestored adds the inodes a restore read to the id index, sized
// for all of them at once, and refuses an id used twice.
func (f *FSM) indexRestored(inodes []*Inode) error {
	f.index.reserve(f.index.count + len(inodes))
	for _, n := range inodes {
		if f.index.find(n.id) != nil {
			return fmt.Errorf("inode id %d is used twice", n.id)
		}
		f.index.add(n)
	}
	return nil
}

// checkInodeRecord refuses attribute values that apply never produces, so
// that a restored state is one the FSM could have reached.
func checkInodeRecord(rec *journalpb.InodeRecord) error {
	switch {
	case rec.Mode > 0o7777:
		return fmt.Errorf("inode %d has mode %o, beyond the permission bits", rec.Id, rec.Mode)
	case rec.PersistenceState < 0 || rec.PersistenceState > journalpb.PersistenceState_LOST:
		return fmt.Errorf("inode %d has unknown persistence state %d", rec.Id, rec.PersistenceState)
	case rec.MountPoint != (rec.MountId != 0):
		return fmt.Errorf("inode %d: mount point flag %t with mount id %d", rec.Id, rec.MountPoint, rec.MountId)
	case rec.MountPoint && !rec.IsDirectory:
		return fmt.Errorf("inode %d is a mount point but not a directory", rec.Id)
	case rec.IsDirectory && (rec.Length != 0 || len(rec.BlockIds) > 0):
		return fmt.Errorf("directory %d has a length or blocks", rec.Id)
	}
	return nil
}

func containsSlash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return true
		}
	}
	return false
}

func (f *FSM) fillInode(n *Inode, rec *journalpb.InodeRecord) {
	n.id = rec.Id
	n.name = rec.Name
	n.ctime = rec.CreationTimeMs
	n.mtime = rec.LastModificationTimeMs
	n.own = f.owners.of(rec.Owner, rec.Group)
	n.mode = uint16(rec.Mode & 0o7777)
	n.length = rec.Length
	if len(rec.BlockIds) > 0 {
		n.blockIDs = append([]uint64(nil), rec.BlockIds...)
	}
	n.flags = 0
	n.setFlag(flagDirectory, rec.IsDirectory)
	n.setFlag(flagCompleted, rec.Completed)
	n.setFlag(flagPinned, rec.Pinned)
	n.setFlag(flagMountPoint, rec.MountPoint)
	n.setFlag(flagChildrenLoaded, rec.ChildrenLoaded)
	n.persist = uint8(rec.PersistenceState)
	if rec.TtlMs != 0 || rec.BlockSizeBytes != 0 || rec.MountId != 0 {
		n.extra = &inodeExtra{ttlMs: rec.TtlMs, blockSizeBytes: rec.BlockSizeBytes, mountID: rec.MountId}
	} else {
		n.extra = nil
	}
	if rec.IsDirectory && n.children == nil {
		n.children = &childList{}
	}
}
