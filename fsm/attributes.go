package fsm

import (
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func applySetAttribute(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetSetAttribute()
	parts, err := SplitPath(op.Path)
	if err != nil {
		return 0, err
	}
	n, err := f.lookup(e.Caller, parts)
	if err != nil {
		return 0, err
	}
	if op.HasMode && op.Mode > 0o7777 {
		return 0, fserr.New(fserr.InvalidArgument, "invalid mode %o for %s", op.Mode, op.Path)
	}
	if op.ToBePersisted && !op.Recursive && !n.isDir() && n.flags&flagCompleted == 0 {
		return 0, fserr.New(fserr.FailedPrecondition, "cannot persist %s: the file is not complete yet", op.Path)
	}
	// Check every inode first so that a recursive change that fails part
	// way leaves nothing changed.
	targets := []*Inode{n}
	if op.Recursive {
		targets = subtreeInOrder(n)
	}
	for _, t := range targets {
		if err := checkAttributePermission(e.Caller, t, op); err != nil {
			return 0, err
		}
	}
	for _, t := range targets {
		f.setAttributes(t, op)
	}
	return n.id, nil
}

// subtreeInOrder is n and every inode under it, in checkpoint order, so
// that the first refusal, kept in the operation table, is the same on
// every replica.
func subtreeInOrder(n *Inode) []*Inode {
	var out []*Inode
	_ = walkSubtree(n, func(c *Inode) error {
		out = append(out, c)
		return nil
	})
	return out
}

// checkAttributePermission applies Alluxio's rules: only a superuser changes
// an owner; the owner may change the mode, and the group to one of its own
// groups (as POSIX chgrp allows); other attributes need write permission.
func checkAttributePermission(c *journalpb.Caller, n *Inode, op *journalpb.SetAttributeEntry) error {
	if c == nil || c.Superuser {
		return nil
	}
	switch {
	case op.HasOwner && op.Owner != n.owner():
		return fserr.New(fserr.PermissionDenied, "permission denied: only a superuser can change the owner of %s (user=%s)", n.path(), c.User)
	case op.HasGroup && (c.User != n.owner() || !inGroup(c, op.Group)):
		return fserr.New(fserr.PermissionDenied, "permission denied: user=%s cannot change the group of %s to %s", c.User, n.path(), op.Group)
	case op.HasMode && c.User != n.owner():
		return fserr.New(fserr.PermissionDenied, "permission denied: user=%s is not the owner of %s", c.User, n.path())
	case (op.HasPinned || op.HasTtl || op.HasPersisted || op.ToBePersisted) && !allowed(c, n, permWrite):
		return permissionError(c, n, permWrite, n.path())
	}
	return nil
}

func (f *FSM) setAttributes(n *Inode, op *journalpb.SetAttributeEntry) {
	if op.HasMode {
		n.mode = uint16(op.Mode)
	}
	if op.HasOwner {
		n.own = f.owners.of(op.Owner, n.group())
	}
	if op.HasGroup {
		n.own = f.owners.of(n.owner(), op.Group)
	}
	if op.HasPinned {
		n.setFlag(flagPinned, op.Pinned)
		f.index.notePinned(n)
	}
	if op.HasTtl {
		if op.TtlMs != 0 || n.extra != nil {
			n.ext().ttlMs = op.TtlMs
		}
	}
	if op.HasPersisted {
		if op.Persisted {
			n.persist = uint8(journalpb.PersistenceState_PERSISTED)
		} else {
			n.persist = uint8(journalpb.PersistenceState_NOT_PERSISTED)
		}
		f.toPersist.track(n)
	}
	if op.ToBePersisted && !n.isDir() && n.flags&flagCompleted != 0 && n.persist == uint8(journalpb.PersistenceState_NOT_PERSISTED) {
		n.persist = uint8(journalpb.PersistenceState_TO_BE_PERSISTED)
		f.toPersist.track(n)
	}
}
