package fsm

import (
	"sort"
	"strings"

	"github.com/halo-fs/halo/proto/journalpb"
)

type mount struct {
	id       uint64
	parts    []string // path components of the mount point
	ufsURI   string
	readOnly bool
	shared   bool
	options  map[string]string
}

func (m *mount) record() *journalpb.MountRecord {
	opts := make(map[string]string, len(m.options))
	for k, v := range m.options {
		opts[k] = v
	}
	return &journalpb.MountRecord{
		MountId: m.id, Path: JoinPath(m.parts), UfsUri: m.ufsURI,
		ReadOnly: m.readOnly, Shared: m.shared, Options: opts,
	}
}

// mountTable maps mount points to UFS folders. Mounts are few, so a slice
// searched for the longest matching prefix is enough.
type mountTable struct {
	byID   map[uint64]*mount
	nextID uint64
}

func newMountTable() *mountTable {
	return &mountTable{byID: map[uint64]*mount{}, nextID: 1}
}

func (t *mountTable) add(m *mount) {
	t.byID[m.id] = m
	if m.id >= t.nextID {
		t.nextID = m.id + 1
	}
}

// resolve returns the innermost mount holding parts and the remaining
// components below it.
func (t *mountTable) resolve(parts []string) (*mount, []string) {
	var best *mount
	for _, m := range t.byID {
		if isPrefix(m.parts, parts) && (best == nil || len(m.parts) > len(best.parts)) {
			best = m
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, parts[len(best.parts):]
}

// under returns the mounts strictly below parts.
func (t *mountTable) under(parts []string) []*mount {
	var out []*mount
	for _, m := range t.byID {
		if len(m.parts) > len(parts) && isPrefix(parts, m.parts) {
			out = append(out, m)
		}
	}
	return out
}

func (t *mountTable) sorted() []*mount {
	out := make([]*mount, 0, len(t.byID))
	for _, m := range t.byID {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (t *mountTable) records() []*journalpb.MountRecord {
	ms := t.sorted()
	sort.Slice(ms, func(i, j int) bool { return JoinPath(ms[i].parts) < JoinPath(ms[j].parts) })
	out := make([]*journalpb.MountRecord, len(ms))
	for i, m := range ms {
		out[i] = m.record()
	}
	return out
}

// joinUFS appends path components to a UFS URI.
func joinUFS(uri string, rest []string) string {
	if len(rest) == 0 {
		return uri
	}
	return strings.TrimSuffix(uri, "/") + "/" + strings.Join(rest, "/")
}

// ufsPathLocked returns the UFS URI an inode maps to and the id of the
// mount holding it, or "" and 0 when no mount holds it.
func (f *FSM) ufsPathLocked(n *Inode) (string, uint64) {
	var rest []string
	for cur := n; cur != nil; cur = cur.parent {
		if cur.isMountPoint() {
			m := f.mounts.byID[cur.mountID()]
			if m == nil {
				return "", 0
			}
			for i, j := 0, len(rest)-1; i < j; i, j = i+1, j-1 {
				rest[i], rest[j] = rest[j], rest[i]
			}
			return joinUFS(m.ufsURI, rest), m.id
		}
		if cur.parent != nil {
			rest = append(rest, cur.name)
		}
	}
	return "", 0
}
