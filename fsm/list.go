package fsm

import (
	"container/heap"
	"slices"
	"strings"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Listings are read a page at a time, each page under its own hold of the
// read lock, so that listing a large tree neither stops writers for the
// whole walk nor gathers the whole tree in memory. A page resumes after
// the path of the last entry the previous page returned: in the listing's
// order (depth first, children in name order) that path names, directory
// by directory, the name to start after, and it works whether or not the
// entry still exists.
//
// What a listing of several pages guarantees: each page is the namespace
// as it was at one moment; paths come in strictly increasing listing
// order, so no path is listed twice; an entry that exists under the same
// path from the first page to the last is listed exactly once. An entry
// created, deleted or renamed while the listing runs may or may not be
// listed, and one renamed from a part not yet listed to a part already
// listed is missed (or, the other way round, listed under both paths).
// A single page, and so any listing that fits in one, is a snapshot.

// ListPageLimits bounds one page of a listing.
type ListPageLimits struct {
	// MaxBytes bounds the encoded size of the entries in one
	// ListStatusResponse. A page holds at least one entry, whatever its
	// size, so that a listing always progresses.
	MaxBytes int
	// MaxEntries bounds the entries of a page, and so how many children
	// of one directory a page sorts.
	MaxEntries int
}

// DefaultListPageLimits keeps a page well under gRPC's default 4 MiB
// receive limit.
func DefaultListPageLimits() ListPageLimits {
	return ListPageLimits{MaxBytes: 1 << 20, MaxEntries: 10000}
}

// ListStatus calls fn with the attributes of every child of path (every
// descendant when recursive), in name order, depth first. A file lists as
// itself. A recursive listing lists the directories the caller may not
// read but does not descend into them. Pages are read as ListPage reads
// them; fn is called outside the lock and may call back into the FSM.
func (f *FSM) ListStatus(c *halopb.Caller, path string, recursive bool, fn func(*halopb.FileInfo) error) error {
	after := ""
	for {
		page, done, err := f.ListPage(c, path, recursive, after, DefaultListPageLimits())
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
		after = page[len(page)-1].Path
	}
}

// ListPage returns the next page of the listing ListStatus describes: the
// entries after startAfter (the path of the last entry of the previous
// page; "" for the first page), and whether the listing is complete.
func (f *FSM) ListPage(c *halopb.Caller, path string, recursive bool, startAfter string, limits ListPageLimits) ([]*halopb.FileInfo, bool, error) {
	parts, err := SplitPath(path)
	if err != nil {
		return nil, false, err
	}
	cursor, err := listCursor(parts, recursive, startAfter)
	if err != nil {
		return nil, false, err
	}
	if limits.MaxBytes <= 0 || limits.MaxEntries <= 0 {
		limits = DefaultListPageLimits()
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	n, err := f.lookup(c, parts)
	if err != nil {
		return nil, false, err
	}
	p := JoinPath(parts)
	if !n.isDir() {
		if startAfter != "" {
			return nil, true, nil
		}
		return []*halopb.FileInfo{n.info(p)}, true, nil
	}
	if err := checkPermission(c, n, permRead|permExecute, parts); err != nil {
		return nil, false, err
	}
	l := &pageLister{caller: c, recursive: recursive, limits: limits}
	l.resume(n, p, cursor)
	page, done := l.fill()
	return page, done, nil
}

// listCursor turns startAfter into names relative to the listed path.
func listCursor(parts []string, recursive bool, startAfter string) ([]string, error) {
	if startAfter == "" {
		return nil, nil
	}
	after, err := SplitPath(startAfter)
	if err != nil {
		return nil, fserr.New(fserr.InvalidArgument, "bad listing position %q: %v", startAfter, err)
	}
	if !isPrefix(parts, after) || (!recursive && len(after) > len(parts)+1) {
		return nil, fserr.New(fserr.InvalidArgument, "bad listing position %q: it is not an entry of the listing of %s", startAfter, JoinPath(parts))
	}
	return after[len(parts):], nil
}

// listFrame is one directory of the path from the listed directory to the
// entry the page is at.
type listFrame struct {
	dir   *Inode
	path  string
	after string   // the name of the last child listed; "" before the first
	batch []*Inode // the next children in name order, read under this page's lock
	ended bool     // batch holds every child left
}

type pageLister struct {
	caller    *halopb.Caller
	recursive bool
	limits    ListPageLimits
	frames    []*listFrame
	page      []*halopb.FileInfo
	bytes     int
}

func (l *pageLister) descends(n *Inode) bool {
	return l.recursive && n.isDir() && allowed(l.caller, n, permRead|permExecute)
}

// resume rebuilds the frames for a listing of root positioned after
// cursor. A directory on the cursor that is gone, or that the listing no
// longer descends into, ends the walk down: the listing goes on with its
// next sibling.
func (l *pageLister) resume(root *Inode, rootPath string, cursor []string) {
	l.frames = []*listFrame{{dir: root, path: rootPath}}
	for _, name := range cursor {
		top := l.frames[len(l.frames)-1]
		top.after = name
		child := top.dir.children[name]
		if child == nil || !l.descends(child) {
			return
		}
		l.frames = append(l.frames, &listFrame{dir: child, path: joinChild(top.path, name)})
	}
}

// fill adds entries until the listing ends (true) or the page is full.
func (l *pageLister) fill() ([]*halopb.FileInfo, bool) {
	for len(l.frames) > 0 {
		top := l.frames[len(l.frames)-1]
		if len(top.batch) == 0 {
			if top.ended {
				l.frames = l.frames[:len(l.frames)-1]
				continue
			}
			want := l.limits.MaxEntries - len(l.page)
			if want <= 0 {
				return l.page, false
			}
			top.batch = childrenAfter(top.dir, top.after, want)
			top.ended = len(top.batch) < want
			continue
		}
		child := top.batch[0]
		if !l.add(child.info(joinChild(top.path, child.name))) {
			return l.page, false
		}
		top.batch = top.batch[1:]
		top.after = child.name
		if l.descends(child) {
			l.frames = append(l.frames, &listFrame{dir: child, path: l.page[len(l.page)-1].Path})
		}
	}
	return l.page, true
}

// add appends fi unless it would take the page beyond its byte limit.
func (l *pageLister) add(fi *halopb.FileInfo) bool {
	size := proto.Size(fi)
	size += protowire.SizeTag(1) + protowire.SizeVarint(uint64(size))
	if len(l.page) > 0 && l.bytes+size > l.limits.MaxBytes {
		return false
	}
	l.page = append(l.page, fi)
	l.bytes += size
	return true
}

// childrenAfter returns, in name order, up to limit children of dir whose
// names sort after after. It reads every child once but keeps only limit
// of them, so that a page of a huge directory does not sort it whole.
func childrenAfter(dir *Inode, after string, limit int) []*Inode {
	h := make(byNameDesc, 0, min(limit, len(dir.children)))
	for name, c := range dir.children {
		switch {
		case name <= after:
		case len(h) < limit:
			heap.Push(&h, c)
		case name < h[0].name:
			h[0] = c
			heap.Fix(&h, 0)
		}
	}
	slices.SortFunc(h, func(a, b *Inode) int { return strings.Compare(a.name, b.name) })
	return h
}

// byNameDesc is a heap whose top is the child with the greatest name: the
// first to drop when a smaller one turns up.
type byNameDesc []*Inode

func (h byNameDesc) Len() int           { return len(h) }
func (h byNameDesc) Less(i, j int) bool { return h[i].name > h[j].name }
func (h byNameDesc) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *byNameDesc) Push(x any)        { *h = append(*h, x.(*Inode)) }
func (h *byNameDesc) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
