package masterui

import (
	"fmt"
	"net/http"
	"path"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/web"
)

// Browse is a directory's listing, a page at a time, or a file with its
// blocks (webui_browse). It is read from this master's own replica, as of
// AppliedIndex.
type Browse struct {
	Path         string  `json:"path"`
	Parent       string  `json:"parent,omitempty"`
	AppliedIndex uint64  `json:"appliedIndex"`
	Entry        Entry   `json:"entry"`
	Children     []Entry `json:"children,omitempty"`
	// NextAfter continues the listing (the after= of the next page); ""
	// on its last page.
	NextAfter string  `json:"nextAfter,omitempty"`
	Blocks    []Block `json:"blocks,omitempty"`
	// Head and Tail are a complete file's first and last bytes (Tail is
	// nil when Head holds the whole file); NoBytes says why a file has
	// neither.
	Head    *Peek  `json:"head,omitempty"`
	Tail    *Peek  `json:"tail,omitempty"`
	NoBytes string `json:"noBytes,omitempty"`
}

// Entry is one inode as Browse shows it.
type Entry struct {
	Name             string `json:"name"`
	Path             string `json:"path"`
	IsDirectory      bool   `json:"isDirectory"`
	Length           int64  `json:"size"`
	BlockSizeBytes   int64  `json:"blockSizeBytes"`
	PersistenceState string `json:"persistenceState"`
	Owner            string `json:"owner"`
	Group            string `json:"group"`
	Mode             string `json:"mode"`
	CreationTimeMs   int64  `json:"creationTimeMs"`
	ModificationMs   int64  `json:"lastModificationTimeMs"`
	Completed        bool   `json:"completed"`
	Pinned           bool   `json:"pinned"`
	MountPoint       bool   `json:"mountPoint"`
	UfsPath          string `json:"ufsPath,omitempty"`
	Children         uint32 `json:"childCount,omitempty"`
	// InAlluxioPercentage is the share of a file's bytes in blocks that a
	// live worker holds (100 for an empty file, 0 for a directory).
	InAlluxioPercentage int `json:"inAlluxioPercentage"`
}

// Block is one of a file's blocks and the workers holding it.
type Block struct {
	ID        uint64   `json:"id"`
	Length    int64    `json:"length"`
	Locations []string `json:"locations"`
}

// reader is who the UI reads as: operators only reach Browse (when the
// RPC port checks anyone), so it sees the whole tree.
var reader = &journalpb.Caller{User: "web-ui", Superuser: true}

func (u *UI) browse(r *http.Request) (any, error) {
	q := r.URL.Query()
	path := q.Get("path")
	if path == "" {
		path = "/"
	}
	limit, err := web.PageLimit(q.Get("limit"))
	if err != nil {
		return nil, err
	}
	ns := u.cfg.Master.Namespace()
	applied := ns.AppliedIndex()
	st, err := ns.GetStatus(reader, path)
	if err != nil {
		return nil, err
	}
	out := Browse{Path: st.Path, Parent: parentOf(st.Path), AppliedIndex: applied, Entry: u.entryOf(st)}
	if !st.IsDirectory {
		out.Blocks = u.blocksOf(st)
		u.peekInto(r.Context(), &out, st)
		return out, nil
	}
	lister, err := ns.NewLister(reader, st.Path, false, q.Get("after"))
	if err != nil {
		return nil, err
	}
	page, done, err := lister.Next(fsm.ListPageLimits{MaxBytes: fsm.DefaultListPageLimits().MaxBytes, MaxEntries: limit})
	if err != nil {
		return nil, err
	}
	out.Children = make([]Entry, 0, len(page))
	for _, c := range page {
		out.Children = append(out.Children, u.entryOf(c))
	}
	if !done && len(page) > 0 {
		out.NextAfter = page[len(page)-1].Path
	}
	return out, nil
}

func (u *UI) blocksOf(st *journalpb.FileStatus) []Block {
	table := u.cfg.Master.Workers()
	out := make([]Block, 0, len(st.BlockIds))
	for i, id := range st.BlockIds {
		b := Block{ID: id, Length: fsm.BlockLength(st, i), Locations: []string{}}
		if known, ok := table.Block(int64(id)); ok {
			for _, l := range known.Locations {
				b.Locations = append(b.Locations, fmt.Sprintf("%s (%s)", l.Address.Host, l.Tier))
			}
		}
		out = append(out, b)
	}
	return out
}

func (u *UI) inAlluxioPercentage(st *journalpb.FileStatus) int {
	switch {
	case st.IsDirectory:
		return 0
	case st.Length <= 0:
		return 100
	}
	table := u.cfg.Master.Workers()
	var held int64
	for i, id := range st.BlockIds {
		if b, ok := table.Block(int64(id)); ok && len(b.Locations) > 0 {
			held += fsm.BlockLength(st, i)
		}
	}
	return int(held * 100 / st.Length)
}

func (u *UI) entryOf(st *journalpb.FileStatus) Entry {
	return Entry{
		InAlluxioPercentage: u.inAlluxioPercentage(st),
		Name:                st.Name, Path: st.Path, IsDirectory: st.IsDirectory, Length: st.Length, BlockSizeBytes: st.BlockSizeBytes,
		PersistenceState: st.PersistenceState.String(), Owner: st.Owner, Group: st.Group,
		Mode: web.FormatMode(st.Mode, st.IsDirectory), CreationTimeMs: st.CreationTimeMs, ModificationMs: st.LastModificationTimeMs,
		Completed: st.Completed, Pinned: st.Pinned, MountPoint: st.MountPoint, UfsPath: st.UfsPath, Children: st.ChildCount,
	}
}

// parentOf is the folder holding p, "" for the root.
func parentOf(p string) string {
	if p == "/" {
		return ""
	}
	return path.Dir(p)
}
