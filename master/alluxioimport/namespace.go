package alluxioimport

import (
	"bytes"
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/journalpb"
)

// Import is a translated backup.
type Import struct {
	// Checkpoint is the namespace as a Halo checkpoint at index 0.
	Checkpoint []byte
	Header     fsm.CheckpointHeader
	// Skipped counts the entries with no Halo meaning, by kind.
	Skipped map[string]int
	// Dropped names, per path, what Halo cannot represent and left out:
	// extended ACL entries, default ACLs, extended attributes.
	Dropped []string
}

// Log reports what the import left out: one line of counts by kind, and
// one warning per path that lost something.
func (im *Import) Log(log hclog.Logger, backup string) {
	if len(im.Skipped) > 0 {
		log.Info("skipped Alluxio backup entries with no Halo meaning", append([]any{"backup", backup}, kindCounts(im.Skipped)...)...)
	}
	for _, d := range im.Dropped {
		log.Warn("Alluxio backup holds what Halo cannot keep; imported without it", "backup", backup, "detail", d)
	}
}

// Translate turns an Alluxio backup (uncompressed) into a Halo checkpoint.
// Bad input — an entry that does not decode, a truncated stream, an inode
// whose parent is unknown, two inodes at one path, a mount point without
// its directory — is an error naming the problem.
func Translate(data []byte) (*Import, error) {
	ns := &namespace{byID: map[int64]*inode{}, skipped: map[string]int{}}
	if err := decodeEntries(data, ns.apply); err != nil {
		return nil, fmt.Errorf("alluxio backup: %w", err)
	}
	order, err := ns.tree()
	if err != nil {
		return nil, fmt.Errorf("alluxio backup: %w", err)
	}
	mounts, err := ns.mountRecords(order)
	if err != nil {
		return nil, fmt.Errorf("alluxio backup: %w", err)
	}
	im := &Import{Skipped: ns.skipped}
	records := make([]*journalpb.InodeRecord, len(order))
	for i, in := range order {
		records[i] = &in.rec
		for _, note := range in.notes {
			im.Dropped = append(im.Dropped, in.path+": "+note)
		}
	}
	var buf bytes.Buffer
	if im.Header, err = fsm.WriteImportedCheckpoint(&buf, records, mounts); err != nil {
		return nil, err
	}
	im.Checkpoint = buf.Bytes()
	return im, nil
}

// inode is one Alluxio inode on its way into Halo: rec has everything but
// Halo's ids, which are handed out once the tree is known.
type inode struct {
	id, parent int64
	entry      int // position in the backup, for errors
	rec        journalpb.InodeRecord
	mountPoint bool
	children   []*inode
	path       string
	notes      []string
}

type mountEntry struct {
	entry int
	m     *alluxiopb.AddMountPointEntry
}

type namespace struct {
	byID    map[int64]*inode
	root    *inode
	mounts  []mountEntry
	skipped map[string]int
}

func (ns *namespace) add(in *inode) error {
	if prev := ns.byID[in.id]; prev != nil {
		return fmt.Errorf("entry %d: inode %d (%q) has the id of entry %d's (%q)", in.entry, in.id, in.rec.Name, prev.entry, prev.rec.Name)
	}
	ns.byID[in.id] = in
	if in.parent >= 0 {
		return nil
	}
	if !in.rec.IsDirectory || ns.root != nil {
		return fmt.Errorf("entry %d: inode %d (%q) has no parent, but the root is the only such inode, a directory", in.entry, in.id, in.rec.Name)
	}
	ns.root = in
	return nil
}

// tree links every inode to its parent and returns them depth first from
// the root, children in name order (the order of Halo's checkpoints), with
// Halo ids and paths set.
func (ns *namespace) tree() ([]*inode, error) {
	if ns.root == nil {
		return nil, fmt.Errorf("it holds no root directory (an inode without a parent); is it a backup of a file system master?")
	}
	for _, in := range ns.sortedByID() {
		if in == ns.root {
			continue
		}
		p := ns.byID[in.parent]
		switch {
		case p == nil:
			return nil, fmt.Errorf("entry %d: inode %d (%q) names parent %d, which the backup does not hold", in.entry, in.id, in.rec.Name, in.parent)
		case !p.rec.IsDirectory:
			return nil, fmt.Errorf("entry %d: inode %d (%q) names parent %d (%q), a file", in.entry, in.id, in.rec.Name, in.parent, p.rec.Name)
		case !validName(in.rec.Name):
			return nil, fmt.Errorf("entry %d: inode %d has an invalid name %q", in.entry, in.id, in.rec.Name)
		}
		p.children = append(p.children, in)
	}
	ns.root.rec.Name, ns.root.path = "", "/"
	order := make([]*inode, 0, len(ns.byID))
	stack := []*inode{ns.root}
	for len(stack) > 0 {
		in := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		in.rec.Id = fsm.RootInodeID + uint64(len(order))
		order = append(order, in)
		slices.SortFunc(in.children, func(a, b *inode) int { return strings.Compare(a.rec.Name, b.rec.Name) })
		for i, c := range in.children {
			if i > 0 && in.children[i-1].rec.Name == c.rec.Name {
				return nil, fmt.Errorf("duplicate path %s: inodes %d (entry %d) and %d (entry %d)", path.Join(in.path, c.rec.Name), in.children[i-1].id, in.children[i-1].entry, c.id, c.entry)
			}
		}
		for i := len(in.children) - 1; i >= 0; i-- {
			c := in.children[i]
			c.rec.ParentId = in.rec.Id
			c.path = path.Join(in.path, c.rec.Name)
			stack = append(stack, c)
		}
	}
	if len(order) != len(ns.byID) {
		for _, in := range ns.sortedByID() {
			if in.path == "" {
				return nil, fmt.Errorf("entry %d: inode %d (%q) is not reachable from the root (its parents form a cycle)", in.entry, in.id, in.rec.Name)
			}
		}
	}
	return order, nil
}

// validName is a name Halo's paths can hold, as one component.
func validName(name string) bool {
	parts, err := fsm.SplitPath("/" + name)
	return err == nil && len(parts) == 1 && parts[0] == name
}

func (ns *namespace) sortedByID() []*inode {
	all := make([]*inode, 0, len(ns.byID))
	for _, in := range ns.byID {
		all = append(all, in)
	}
	slices.SortFunc(all, func(a, b *inode) int { return cmp.Compare(a.id, b.id) })
	return all
}

// mountRecords matches the mount table with the mount point directories
// and numbers the mounts from 1 in path order. The root's mount is not in
// a backup: it is the new cluster's configured root UFS.
func (ns *namespace) mountRecords(order []*inode) ([]*journalpb.MountRecord, error) {
	byPath := make(map[string]*inode, len(order))
	for _, in := range order {
		byPath[in.path] = in
	}
	slices.SortFunc(ns.mounts, func(a, b mountEntry) int { return strings.Compare(a.m.GetAlluxioPath(), b.m.GetAlluxioPath()) })
	var records []*journalpb.MountRecord
	for _, me := range ns.mounts {
		p := path.Clean(me.m.GetAlluxioPath())
		in := byPath[p]
		switch {
		case p == "/":
			return nil, fmt.Errorf("entry %d: a mount at / (the root's mount is the new cluster's root UFS)", me.entry)
		case in == nil || !in.rec.IsDirectory:
			return nil, fmt.Errorf("entry %d: mount point %s (UFS %s) has no directory in the backup", me.entry, p, me.m.GetUfsPath())
		case in.rec.MountPoint:
			return nil, fmt.Errorf("entry %d: mount point %s is mounted twice", me.entry, p)
		}
		id := uint64(len(records)) + 1
		in.rec.MountPoint, in.rec.MountId = true, id
		records = append(records, &journalpb.MountRecord{
			MountId: id, Path: p, UfsUri: me.m.GetUfsPath(),
			ReadOnly: me.m.GetReadOnly(), Shared: me.m.GetShared(), Options: properties(me.m.GetProperties()),
		})
	}
	for _, in := range order {
		if in.mountPoint && in != ns.root && !in.rec.MountPoint {
			return nil, fmt.Errorf("entry %d: directory %s is a mount point, but the backup's mount table has no mount there", in.entry, in.path)
		}
	}
	return records, nil
}

func properties(pairs []*alluxiopb.StringPairEntry) map[string]string {
	if len(pairs) == 0 {
		return nil
	}
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		out[p.GetKey()] = p.GetValue()
	}
	return out
}
