package fsm

import (
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Listings are read a page at a time, each page under its own hold of the
// read lock, so that listing a large tree neither stops writers for the
// whole walk nor gathers the whole tree in memory. A Lister keeps its
// place between pages: the directories from the listed one down to the
// last entry listed, each with the names of its next children in order
// (a directory keeps its children sorted, so a page reads only the
// children it lists, found after the last name listed, however large the
// directory). At each page it checks that those directories are still
// where they were and skips children that have since gone. A listing can
// also resume after a path, the last entry of an earlier page: in the
// listing's order that path names, directory by directory, the name to go
// on after, whether or not the entry still exists.
//
// What a listing of several pages guarantees: each page is the namespace
// as it was at one moment; paths come in strictly increasing listing
// order (depth first, children by name), so no path is listed twice; an
// entry that exists under the same path from the first page to the last
// is listed exactly once. An entry created, deleted or renamed while the
// listing runs may or may not be listed, and one renamed from a part not
// yet listed to a part already listed is missed (or, the other way round,
// listed under both paths). A listing that fits in one page is a snapshot.

// ListPageLimits bounds one page of a listing.
type ListPageLimits struct {
	// MaxBytes bounds the encoded size of the entries in one
	// ListStatusResponse. A page holds at least one entry, whatever its
	// size, so that a listing always progresses.
	MaxBytes int
	// MaxEntries bounds the entries of a page, and so how long one page
	// holds the lock.
	MaxEntries int
}

// DefaultListPageLimits keeps a page well under gRPC's default 4 MiB
// receive limit.
func DefaultListPageLimits() ListPageLimits {
	return ListPageLimits{MaxBytes: 1 << 20, MaxEntries: 10000}
}

// maxListBatch bounds how many children of one directory a listing reads
// at once and keeps, in order, between pages, whatever page size the
// caller asks for.
const maxListBatch = 1 << 16

// ListStatus calls fn with the attributes of every child of path (every
// descendant when recursive), in name order, depth first. A file lists as
// itself. A recursive listing lists the directories the caller may not
// read but does not descend into them. The listing is read page by page
// (see Lister); fn is called outside the lock and may call into the FSM.
func (f *FSM) ListStatus(c *journalpb.Caller, path string, recursive bool, fn func(*journalpb.FileStatus) error) error {
	l, err := f.NewLister(c, path, recursive, "")
	if err != nil {
		return err
	}
	for {
		page, done, err := l.Next(DefaultListPageLimits())
		if err != nil {
			return err
		}
		for _, fi := range page {
			if err := fn(fi); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}

// Lister reads the listing ListStatus describes, a page at a time. It is
// not safe for concurrent use.
type Lister struct {
	f         *FSM
	caller    *journalpb.Caller
	parts     []string
	recursive bool
	// last is the path of the last entry listed, or the position the
	// listing was asked to start after.
	last     string
	frames   []*listFrame
	done     bool
	maxBatch int // maxListBatch; smaller in tests
}

// listFrame is one directory on the way from the listed directory to the
// last entry listed.
type listFrame struct {
	dir   *Inode
	name  string // under which dir was entered from the frame above
	path  string
	after string        // the name of the last child listed; "" before the first
	batch []listedChild // the next children in name order, as they were read
	ended bool          // batch holds every child there was after its start
}

// listedChild is a child as a batch read it: its name then, and itself.
type listedChild struct {
	name string
	n    *Inode
}

// NewLister starts a listing of path after startAfter ("" for the whole
// listing), which must be the path of an entry of the listing.
func (f *FSM) NewLister(c *journalpb.Caller, path string, recursive bool, startAfter string) (*Lister, error) {
	parts, err := SplitPath(path)
	if err != nil {
		return nil, err
	}
	l := &Lister{f: f, caller: c, parts: parts, recursive: recursive, maxBatch: maxListBatch}
	if startAfter != "" {
		if _, err := l.position(startAfter); err != nil {
			return nil, err
		}
		l.last = startAfter
	}
	return l, nil
}

// position turns a path of the listing into names relative to the listed
// directory.
func (l *Lister) position(p string) ([]string, error) {
	after, err := SplitPath(p)
	if err != nil {
		return nil, fserr.New(fserr.InvalidArgument, "bad listing position %q: %v", p, err)
	}
	if !isPrefix(l.parts, after) || (!l.recursive && len(after) > len(l.parts)+1) {
		return nil, fserr.New(fserr.InvalidArgument, "bad listing position %q: it is not an entry of the listing of %s", p, JoinPath(l.parts))
	}
	return after[len(l.parts):], nil
}

// Next returns the next page, and whether the listing is complete.
func (l *Lister) Next(limits ListPageLimits) ([]*journalpb.FileStatus, bool, error) {
	if l.done {
		return nil, true, nil
	}
	if limits.MaxBytes <= 0 || limits.MaxEntries <= 0 {
		limits = DefaultListPageLimits()
	}
	l.f.mu.RLock()
	defer l.f.mu.RUnlock()
	// Every page looks the path up again: permissions and the tree are
	// what they are now.
	n, err := l.f.lookup(l.caller, l.parts)
	if err != nil {
		return nil, false, err
	}
	p := JoinPath(l.parts)
	if !n.isDir() {
		l.done = true
		if l.last != "" {
			return nil, true, nil
		}
		return []*journalpb.FileStatus{n.info(p)}, true, nil
	}
	if err := checkPermission(l.caller, n, permRead|permExecute, l.parts); err != nil {
		return nil, false, err
	}
	if len(l.frames) == 0 || l.frames[0].dir != n {
		var cursor []string
		if l.last != "" {
			if cursor, err = l.position(l.last); err != nil {
				return nil, false, err
			}
		}
		l.resume(n, p, cursor)
	} else {
		l.revalidate()
	}
	page := &listPage{limits: limits}
	l.done = l.fill(page)
	if len(page.infos) > 0 {
		l.last = page.infos[len(page.infos)-1].Path
	}
	return page.infos, l.done, nil
}

func (l *Lister) descends(n *Inode) bool {
	return l.recursive && n.isDir() && allowed(l.caller, n, permRead|permExecute)
}

// resume rebuilds the frames for a listing of root positioned after
// cursor. A directory on the cursor that is gone, or that the listing no
// longer descends into, ends the walk down: the listing goes on with its
// next sibling.
func (l *Lister) resume(root *Inode, rootPath string, cursor []string) {
	l.frames = []*listFrame{{dir: root, path: rootPath}}
	for _, name := range cursor {
		top := l.frames[len(l.frames)-1]
		top.after = name
		child := top.dir.children.get(name)
		if child == nil || !l.descends(child) {
			return
		}
		l.frames = append(l.frames, &listFrame{dir: child, name: name, path: joinChild(top.path, name)})
	}
}

// revalidate drops the frames of directories that have moved, gone, or
// become unreadable since the last page, with every frame below them: the
// listing goes on after the name under which it entered the first one.
func (l *Lister) revalidate() {
	for i := 1; i < len(l.frames); i++ {
		fr := l.frames[i]
		if l.frames[i-1].dir.children.get(fr.name) != fr.dir || !l.descends(fr.dir) {
			l.frames = l.frames[:i]
			return
		}
	}
}

// fill adds entries to page until the listing ends (true) or the page is
// full.
func (l *Lister) fill(page *listPage) bool {
	for len(l.frames) > 0 {
		top := l.frames[len(l.frames)-1]
		if len(top.batch) == 0 {
			if top.ended {
				l.frames = l.frames[:len(l.frames)-1]
				continue
			}
			want := max(1, min(top.dir.children.len(), l.maxBatch, page.limits.MaxEntries-len(page.infos)))
			top.batch = childrenAfter(top.dir, top.after, want)
			top.ended = len(top.batch) < want
			continue
		}
		next := top.batch[0]
		if top.dir.children.get(next.name) != next.n {
			top.batch = top.batch[1:] // deleted, renamed or replaced since it was read
			continue
		}
		childPath := joinChild(top.path, next.name)
		if !page.add(next.n.info(childPath)) {
			return false
		}
		top.batch = top.batch[1:]
		top.after = next.name
		if l.descends(next.n) {
			l.frames = append(l.frames, &listFrame{dir: next.n, name: next.name, path: childPath})
		}
		if len(page.infos) >= page.limits.MaxEntries {
			return false
		}
	}
	return true
}

type listPage struct {
	limits ListPageLimits
	infos  []*journalpb.FileStatus
	bytes  int
}

// add appends fi unless it would take the page beyond its byte limit.
func (p *listPage) add(fi *journalpb.FileStatus) bool {
	size := proto.Size(fi)
	size += protowire.SizeTag(1) + protowire.SizeVarint(uint64(size))
	if len(p.infos) > 0 && p.bytes+size > p.limits.MaxBytes {
		return false
	}
	p.infos = append(p.infos, fi)
	p.bytes += size
	return true
}

// childrenAfter returns, in name order, up to limit children of dir whose
// names sort after after.
func childrenAfter(dir *Inode, after string, limit int) []listedChild {
	out := make([]listedChild, 0, limit)
	for c := range dir.children.after(after) {
		if len(out) == limit {
			break
		}
		out = append(out, listedChild{name: c.name, n: c})
	}
	return out
}
