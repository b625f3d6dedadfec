package fsm

import (
	"strings"

	"github.com/halo-fs/halo/proto/journalpb"
)

// Inode flags, packed to keep an inode small: a namespace holds many
// millions of them.
const (
	flagDirectory uint8 = 1 << iota
	flagCompleted
	flagPinned
	flagMountPoint
	// flagChildrenLoaded marks a directory whose UFS listing is in the
	// namespace: a metadata load listed it, or Halo made it (its UFS
	// folder, if any, was made with it). Mount points and directories a
	// load found start without it.
	flagChildrenLoaded
)

// Inode is one file or directory. Fields are kept compact; rarely used
// attributes live in extra so that ordinary inodes do not pay for them.
type Inode struct {
	id       uint64
	parent   *Inode
	name     string
	ctime    int64
	mtime    int64
	own      *ownership // interned
	length   int64
	blockIDs []uint64
	children *childList // directories only
	extra    *inodeExtra
	nextByID *Inode // the next inode in its chain of inodeIndex
	mode     uint16
	flags    uint8
	persist  uint8 // journalpb.PersistenceState
	// below bounds the bytes the longest path under this inode adds to
	// its own path (see raiseBelow, measureBelow). Linking raises it,
	// unlinking leaves it alone: it may exceed the truth until a rename
	// measures the subtree again.
	below uint16
}

type inodeExtra struct {
	ttlMs          int64
	blockSizeBytes int64
	mountID        uint64
}

func (n *Inode) isDir() bool        { return n.flags&flagDirectory != 0 }
func (n *Inode) isMountPoint() bool { return n.flags&flagMountPoint != 0 }

func (n *Inode) setFlag(f uint8, on bool) {
	if on {
		n.flags |= f
	} else {
		n.flags &^= f
	}
}

func (n *Inode) ext() *inodeExtra {
	if n.extra == nil {
		n.extra = &inodeExtra{}
	}
	return n.extra
}

func (n *Inode) ttl() int64 {
	if n.extra == nil {
		return 0
	}
	return n.extra.ttlMs
}

func (n *Inode) blockSize() int64 {
	if n.extra == nil {
		return 0
	}
	return n.extra.blockSizeBytes
}

func (n *Inode) mountID() uint64 {
	if n.extra == nil {
		return 0
	}
	return n.extra.mountID
}

// path returns the inode's absolute path by walking up to the root.
func (n *Inode) path() string {
	if n.parent == nil {
		return "/"
	}
	var parts []string
	for cur := n; cur.parent != nil; cur = cur.parent {
		parts = append(parts, cur.name)
	}
	size := 0
	for _, p := range parts {
		size += len(p) + 1
	}
	buf := make([]byte, 0, size)
	for i := len(parts) - 1; i >= 0; i-- {
		buf = append(buf, '/')
		buf = append(buf, parts[i]...)
	}
	return string(buf)
}

// sortedChildren returns the children ordered by name: the order every
// listing and every checkpoint uses, so that replicas write identical bytes.
func (n *Inode) sortedChildren() []*Inode {
	return n.children.sorted()
}

// info renders the inode for clients. path is passed in when the caller
// already knows it, to avoid walking up the tree.
func (n *Inode) info(path string) *journalpb.FileStatus {
	fi := &journalpb.FileStatus{
		Id:                     n.id,
		Name:                   n.name,
		Path:                   path,
		IsDirectory:            n.isDir(),
		Length:                 n.length,
		CreationTimeMs:         n.ctime,
		LastModificationTimeMs: n.mtime,
		Owner:                  n.owner(),
		Group:                  n.group(),
		Mode:                   uint32(n.mode),
		Completed:              n.flags&flagCompleted != 0,
		Pinned:                 n.flags&flagPinned != 0,
		TtlMs:                  n.ttl(),
		PersistenceState:       journalpb.PersistenceState(n.persist),
		BlockIds:               append([]uint64(nil), n.blockIDs...),
		BlockSizeBytes:         n.blockSize(),
		MountPoint:             n.isMountPoint(),
		MountId:                n.mountID(),
		ChildCount:             uint32(n.children.len()),
	}
	if n.parent == nil {
		fi.Name = ""
	}
	return fi
}

// ownership is an inode's owner and group. A namespace holds few
// distinct pairs, so inodes share interned ones: a pointer per inode
// instead of two strings keeps the inode in a smaller allocation class.
type ownership struct {
	owner string
	group string
}

// ownerships interns ownership pairs.
type ownerships map[ownership]*ownership

func (s ownerships) of(owner, group string) *ownership {
	if got, ok := s[ownership{owner, group}]; ok {
		return got
	}
	// Copies, so that the pair does not keep alive the decoded entry
	// or checkpoint the names came from.
	o := &ownership{owner: strings.Clone(owner), group: strings.Clone(group)}
	s[*o] = o
	return o
}

func (n *Inode) owner() string { return n.own.owner }
func (n *Inode) group() string { return n.own.group }
