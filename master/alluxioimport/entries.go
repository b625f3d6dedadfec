package alluxioimport

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/journalpb"
)

// handlers translate the entry kinds that carry the namespace: the inodes
// (a backup writes one entry per inode, then any updates of them) and the
// mount table.
var handlers = map[string]func(ns *namespace, n int, e *alluxiopb.JournalEntry) error{
	"inode_directory": func(ns *namespace, n int, e *alluxiopb.JournalEntry) error {
		return ns.addDirectory(n, e.GetInodeDirectory())
	},
	"inode_file": func(ns *namespace, n int, e *alluxiopb.JournalEntry) error { return ns.addFile(n, e.GetInodeFile()) },
	"update_inode": func(ns *namespace, n int, e *alluxiopb.JournalEntry) error {
		return ns.updateInode(n, e.GetUpdateInode())
	},
	"update_inode_directory": func(ns *namespace, n int, e *alluxiopb.JournalEntry) error {
		return ns.updateDirectory(n, e.GetUpdateInodeDirectory())
	},
	"update_inode_file": func(ns *namespace, n int, e *alluxiopb.JournalEntry) error {
		return ns.updateFile(n, e.GetUpdateInodeFile())
	},
	"add_mount_point": func(ns *namespace, n int, e *alluxiopb.JournalEntry) error {
		return ns.addMount(n, e.GetAddMountPoint())
	},
}

// skipped are the kinds with no meaning in Halo: id generators (Halo hands
// out its own inode ids; block ids are kept as they are), the block
// master's block lengths (a file's length is on its inode), the cluster id
// (an imported namespace gets its new cluster's), per-path configuration,
// active sync, UFS modes, the table master and the job service's jobs.
// They are counted, and the counts logged.
var skipped = map[string]bool{
	"block_container_id_generator": true,
	"block_info":                   true,
	"inode_directory_id_generator": true,
	"cluster_info":                 true,
	"path_properties":              true,
	"remove_path_properties":       true,
	"add_sync_point":               true,
	"remove_sync_point":            true,
	"active_sync_tx_id":            true,
	"update_ufs_mode":              true,
	"add_table":                    true,
	"add_table_partitions":         true,
	"attach_db":                    true,
	"detach_db":                    true,
	"remove_table":                 true,
	"update_database_info":         true,
	"add_transform_job_info":       true,
	"remove_transform_job_info":    true,
	"complete_transform_table":     true,
	"load_job":                     true,
	"copy_job":                     true,
}

// The remaining kinds (rename, delete_file, complete_file, set_attribute,
// set_acl, new_block, delete_block, delete_mount_point, persist_directory,
// async_persist_request, inode_last_modification_time) are operations of a
// running journal, which a backup — a dump of state — never holds: the
// input is refused, since applying a journal's operations is not what an
// import does and skipping them would lose changes.
func refuse(n int, kind string) error {
	return fmt.Errorf("entry %d is a %s, an operation of a running journal that a backup never holds; give a file written by `fsadmin backup`", n, kind)
}

func (ns *namespace) apply(n int, e *alluxiopb.JournalEntry) error {
	kind, err := payloadKind(e)
	if err != nil {
		return fmt.Errorf("entry %d: %w", n, err)
	}
	if h := handlers[kind]; h != nil {
		return h(ns, n, e)
	}
	if skipped[kind] {
		ns.skipped[kind]++
		return nil
	}
	return refuse(n, kind)
}

func (ns *namespace) addDirectory(n int, d *alluxiopb.InodeDirectoryEntry) error {
	in := &inode{id: d.GetId(), parent: d.GetParentId(), entry: n, mountPoint: d.GetMountPoint()}
	in.rec = journalpb.InodeRecord{
		Name:                   d.GetName(),
		IsDirectory:            true,
		Completed:              true,
		CreationTimeMs:         d.GetCreationTimeMs(),
		LastModificationTimeMs: d.GetLastModificationTimeMs(),
		Pinned:                 d.GetPinned(),
		TtlMs:                  ttl(d.GetTtl()),
	}
	if err := in.setPersistence(d.GetPersistenceState()); err != nil {
		return err
	}
	if err := in.setPermissions(d.Owner, d.Group, d.Mode, d.GetAcl()); err != nil {
		return err
	}
	in.noteTTLAction(d.GetTtl(), d.GetTtlAction())
	in.noteDefaultACL(d.GetDefaultAcl())
	in.noteXAttrs(len(d.GetXAttr()))
	return ns.add(in)
}

func (ns *namespace) addFile(n int, f *alluxiopb.InodeFileEntry) error {
	in := &inode{id: f.GetId(), parent: f.GetParentId(), entry: n}
	in.rec = journalpb.InodeRecord{
		Name:                   f.GetName(),
		CreationTimeMs:         f.GetCreationTimeMs(),
		LastModificationTimeMs: f.GetLastModificationTimeMs(),
		Pinned:                 f.GetPinned(),
		TtlMs:                  ttl(f.GetTtl()),
		Completed:              f.GetCompleted(),
		Length:                 max(f.GetLength(), 0),
		BlockSizeBytes:         f.GetBlockSizeBytes(),
		BlockIds:               blockIDs(f.GetBlocks()),
	}
	if err := in.setPersistence(f.GetPersistenceState()); err != nil {
		return err
	}
	if err := in.setPermissions(f.Owner, f.Group, f.Mode, f.GetAcl()); err != nil {
		return err
	}
	in.noteTTLAction(f.GetTtl(), f.GetTtlAction())
	in.noteXAttrs(len(f.GetXAttr()))
	return ns.add(in)
}

func (ns *namespace) updateInode(n int, u *alluxiopb.UpdateInodeEntry) error {
	in, err := ns.updated(n, "update_inode", u.GetId())
	if err != nil {
		return err
	}
	if u.ParentId != nil {
		in.parent = u.GetParentId()
	}
	if u.Name != nil {
		in.rec.Name = u.GetName()
	}
	if u.PersistenceState != nil {
		if err := in.setPersistence(u.GetPersistenceState()); err != nil {
			return err
		}
	}
	if u.Pinned != nil {
		in.rec.Pinned = u.GetPinned()
	}
	if u.CreationTimeMs != nil {
		in.rec.CreationTimeMs = u.GetCreationTimeMs()
	}
	if u.LastModificationTimeMs != nil && (u.GetOverwriteModificationTime() || u.GetLastModificationTimeMs() > in.rec.LastModificationTimeMs) {
		in.rec.LastModificationTimeMs = u.GetLastModificationTimeMs()
	}
	if u.Ttl != nil {
		in.rec.TtlMs = ttl(u.GetTtl())
		in.noteTTLAction(u.GetTtl(), u.GetTtlAction())
	}
	if u.Owner != nil || u.Group != nil || u.Mode != nil || u.Acl != nil {
		owner, group := &in.rec.Owner, &in.rec.Group
		if u.Owner != nil {
			owner = u.Owner
		}
		if u.Group != nil {
			group = u.Group
		}
		mode := int32(in.rec.Mode)
		if u.Mode != nil {
			mode = u.GetMode()
		}
		if err := in.setPermissions(owner, group, &mode, u.GetAcl()); err != nil {
			return err
		}
	}
	in.noteXAttrs(len(u.GetXAttr()))
	return nil
}

func (ns *namespace) updateDirectory(n int, u *alluxiopb.UpdateInodeDirectoryEntry) error {
	in, err := ns.updated(n, "update_inode_directory", u.GetId())
	if err != nil {
		return err
	}
	if !in.rec.IsDirectory {
		return fmt.Errorf("entry %d: update_inode_directory of inode %d, a file", n, u.GetId())
	}
	if u.MountPoint != nil {
		in.mountPoint = u.GetMountPoint()
	}
	in.noteDefaultACL(u.GetDefaultAcl())
	return nil
}

func (ns *namespace) updateFile(n int, u *alluxiopb.UpdateInodeFileEntry) error {
	in, err := ns.updated(n, "update_inode_file", u.GetId())
	if err != nil {
		return err
	}
	if in.rec.IsDirectory {
		return fmt.Errorf("entry %d: update_inode_file of inode %d, a directory", n, u.GetId())
	}
	if u.BlockSizeBytes != nil {
		in.rec.BlockSizeBytes = u.GetBlockSizeBytes()
	}
	if u.Length != nil {
		in.rec.Length = max(u.GetLength(), 0)
	}
	if u.Completed != nil {
		in.rec.Completed = u.GetCompleted()
	}
	if len(u.GetSetBlocks()) > 0 {
		in.rec.BlockIds = blockIDs(u.GetSetBlocks())
	}
	return nil
}

func (ns *namespace) updated(n int, kind string, id int64) (*inode, error) {
	in := ns.byID[id]
	if in == nil {
		return nil, fmt.Errorf("entry %d: %s of inode %d, which no earlier entry created", n, kind, id)
	}
	return in, nil
}

func (ns *namespace) addMount(n int, m *alluxiopb.AddMountPointEntry) error {
	if m.GetAlluxioPath() == "" || m.GetUfsPath() == "" {
		return fmt.Errorf("entry %d: mount point with path %q and UFS %q; both are needed", n, m.GetAlluxioPath(), m.GetUfsPath())
	}
	ns.mounts = append(ns.mounts, mountEntry{entry: n, m: m})
	return nil
}

// ttl is Alluxio's ttl (-1: none) as Halo's (0: none).
func ttl(ms int64) int64 { return max(ms, 0) }

func blockIDs(ids []int64) []uint64 {
	if len(ids) == 0 {
		return nil
	}
	out := make([]uint64, len(ids))
	for i, id := range ids {
		out[i] = uint64(id)
	}
	return out
}

func (in *inode) setPersistence(state string) error {
	if state == "" {
		state = journalpb.PersistenceState_NOT_PERSISTED.String()
	}
	v, ok := journalpb.PersistenceState_value[state]
	if !ok {
		return fmt.Errorf("entry %d: inode %d (%q) has unknown persistence state %q", in.entry, in.id, in.rec.Name, state)
	}
	in.rec.PersistenceState = journalpb.PersistenceState(v)
	return nil
}

// setPermissions takes owner, group and mode from the ACL, where Alluxio
// 2.x keeps them, or from the older entries' own fields. Named user and
// group entries and a mask have no place in Halo's inode: they are noted.
func (in *inode) setPermissions(owner, group *string, mode *int32, acl *alluxiopb.AccessControlList) error {
	if acl != nil {
		in.rec.Owner, in.rec.Group = acl.GetOwningUser(), acl.GetOwningGroup()
		in.rec.Mode = aclMode(acl)
		in.noteExtendedACL(acl)
		return nil
	}
	if owner != nil {
		in.rec.Owner = *owner
	}
	if group != nil {
		in.rec.Group = *group
	}
	if mode != nil {
		if *mode < 0 || *mode > 0o7777 {
			return fmt.Errorf("entry %d: inode %d (%q) has mode %o, beyond the permission bits", in.entry, in.id, in.rec.Name, *mode)
		}
		in.rec.Mode = uint32(*mode)
	}
	return nil
}

// aclMode is the mode an ACL's owner, owning group and other entries give.
func aclMode(acl *alluxiopb.AccessControlList) uint32 {
	var owner, group uint32
	for _, a := range acl.GetUserActions() {
		if a.GetName() == "" {
			owner = actionBits(a.GetActions())
		}
	}
	for _, a := range acl.GetGroupActions() {
		if a.GetName() == "" {
			group = actionBits(a.GetActions())
		}
	}
	return owner<<6 | group<<3 | actionBits(acl.GetOtherActions())
}

func actionBits(a *alluxiopb.AclActions) uint32 {
	var bits uint32
	for _, action := range a.GetActions() {
		switch action {
		case alluxiopb.AclAction_READ:
			bits |= 4
		case alluxiopb.AclAction_WRITE:
			bits |= 2
		case alluxiopb.AclAction_EXECUTE:
			bits |= 1
		}
	}
	return bits
}

func actionString(a *alluxiopb.AclActions) string {
	b := []byte("---")
	bits := actionBits(a)
	for i, c := range "rwx" {
		if bits&(4>>i) != 0 {
			b[i] = byte(c)
		}
	}
	return string(b)
}

func (in *inode) noteExtendedACL(acl *alluxiopb.AccessControlList) {
	var extra []string
	for _, a := range acl.GetUserActions() {
		if a.GetName() != "" {
			extra = append(extra, "user:"+a.GetName()+":"+actionString(a.GetActions()))
		}
	}
	for _, a := range acl.GetGroupActions() {
		if a.GetName() != "" {
			extra = append(extra, "group:"+a.GetName()+":"+actionString(a.GetActions()))
		}
	}
	if len(extra) > 0 {
		in.notes = append(in.notes, "ACL entries "+strings.Join(extra, ",")+" (Halo keeps owner, group and mode only)")
	}
}

func (in *inode) noteDefaultACL(acl *alluxiopb.AccessControlList) {
	if acl != nil && !acl.GetIsEmpty() {
		in.notes = append(in.notes, "a default ACL (Halo has none; new children get the umask)")
	}
}

func (in *inode) noteXAttrs(n int) {
	if n > 0 {
		in.notes = append(in.notes, fmt.Sprintf("%d extended attributes (Halo has none)", n))
	}
}

func (in *inode) noteTTLAction(ttl int64, action alluxiopb.PTtlAction) {
	if ttl > 0 && action != alluxiopb.PTtlAction_DELETE {
		in.notes = append(in.notes, fmt.Sprintf("ttl action %s (Halo deletes an expired inode)", action))
	}
}

// kindCounts lists counts by kind, in name order, for a log line.
func kindCounts(counts map[string]int) []any {
	var kv []any
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		kv = append(kv, k, counts[k])
	}
	return kv
}
