package workerui

import (
	"cmp"
	"errors"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/web"
	"github.com/halo-fs/halo/worker/blockstore"
)

// Info is /api/v1/worker/info: who this worker is.
type Info struct {
	ID          int64  `json:"id"`
	Hostname    string `json:"hostname"`
	RPCAddress  string `json:"rpcAddress"`
	WebPort     int    `json:"webPort"`
	Version     string `json:"version"`
	StartTimeMs int64  `json:"startTimeMs"`
	UptimeMs    int64  `json:"uptimeMs"`
}

func (u *UI) info(*http.Request) (any, error) { return u.describe(), nil }

func (u *UI) describe() Info {
	return Info{
		ID: u.cfg.ID, Hostname: u.cfg.Host, RPCAddress: net.JoinHostPort(u.cfg.Host, strconv.Itoa(u.cfg.RPCPort)),
		WebPort: u.cfg.WebPort, Version: u.cfg.Version,
		StartTimeMs: u.cfg.Started.UnixMilli(), UptimeMs: time.Since(u.cfg.Started).Milliseconds(),
	}
}

// Overview is the Overview page (webui_overview): the worker, the
// masters it reports to, its space per tier and folder, and the storage
// it lost.
type Overview struct {
	Info
	Masters       []Master      `json:"masters"`
	CapacityBytes int64         `json:"capacityBytes"`
	UsedBytes     int64         `json:"usedBytes"`
	Tiers         []Tier        `json:"usageOnTiers"`
	LostStorage   []LostStorage `json:"lostStorage"`
}

// Master is one master the worker reports to.
type Master struct {
	Address       string `json:"address"`
	Registered    bool   `json:"registered"`
	Registrations int    `json:"registrations"`
	// LastContactMs is how long ago the master last answered, -1 if
	// never.
	LastContactMs int64  `json:"lastContactMsAgo"`
	LastError     string `json:"lastError,omitempty"`
}

// Tier is one storage tier's space and its folders.
type Tier struct {
	Alias         string `json:"tierAlias"`
	CapacityBytes int64  `json:"capacityBytes"`
	UsedBytes     int64  `json:"usedBytes"`
	Blocks        int    `json:"blockCount"`
	Dirs          []Dir  `json:"storageDirs"`
}

// Dir is one tier folder.
type Dir struct {
	Path          string `json:"dirPath"`
	Medium        string `json:"mediumType"`
	CapacityBytes int64  `json:"capacityBytes"`
	UsedBytes     int64  `json:"usedBytes"`
}

// LostStorage is a tier folder the store lost: missing or unwritable.
type LostStorage struct {
	Tier string `json:"tierAlias"`
	Path string `json:"dirPath"`
}

func (u *UI) overview(*http.Request) (any, error) {
	tiers, lost := u.cfg.Store.Usage(), u.cfg.Store.LostStorage()
	out := Overview{Info: u.describe(), Masters: u.masters(), Tiers: []Tier{}, LostStorage: []LostStorage{}}
	for _, t := range tiers {
		tier := Tier{Alias: t.Alias, CapacityBytes: t.Capacity, UsedBytes: t.Used, Blocks: t.BlockCount, Dirs: []Dir{}}
		for _, d := range t.Dirs {
			tier.Dirs = append(tier.Dirs, Dir{Path: d.Path, Medium: d.Medium, CapacityBytes: d.Capacity, UsedBytes: d.Used})
		}
		out.CapacityBytes += t.Capacity
		out.UsedBytes += t.Used
		out.Tiers = append(out.Tiers, tier)
	}
	for _, t := range tiers {
		for _, path := range lost[t.Alias] {
			out.LostStorage = append(out.LostStorage, LostStorage{Tier: t.Alias, Path: path})
		}
	}
	return out, nil
}

func (u *UI) masters() []Master {
	now := time.Now()
	links := u.cfg.Masters()
	sort.Slice(links, func(i, j int) bool { return links[i].Address < links[j].Address })
	out := make([]Master, 0, len(links))
	for _, l := range links {
		m := Master{Address: l.Address, Registered: l.Registered, Registrations: l.Registrations, LastContactMs: -1, LastError: l.LastError}
		if !l.LastContact.IsZero() {
			m.LastContactMs = now.Sub(l.LastContact).Milliseconds()
		}
		out = append(out, m)
	}
	return out
}

// Blocks is one page of a tier's committed blocks (webui_blocks), in
// block id order.
type Blocks struct {
	Tiers  []TierBlocks `json:"tiers"`
	Tier   string       `json:"tierAlias"`
	Blocks []Block      `json:"blocks"`
	// NextAfter is the after parameter of the next page, "" on the last.
	NextAfter string `json:"nextAfter,omitempty"`
}

// TierBlocks is how many blocks a tier holds.
type TierBlocks struct {
	Alias  string `json:"tierAlias"`
	Blocks int    `json:"blockCount"`
}

// Block is one committed block.
type Block struct {
	ID          int64  `json:"blockId"`
	Medium      string `json:"mediumType"`
	LengthBytes int64  `json:"lengthBytes"`
}

// blocks pages through a tier's blocks by id: after is the id of the
// last block of the previous page, so a block added or removed meanwhile
// does not shift the pages that follow.
func (u *UI) blocks(r *http.Request) (any, error) {
	q := r.URL.Query()
	limit, err := web.PageLimit(q.Get("limit"))
	if err != nil {
		return nil, err
	}
	after, err := afterOf(q.Get("after"))
	if err != nil {
		return nil, err
	}
	report := u.cfg.Store.Report()
	out := Blocks{Tiers: []TierBlocks{}, Blocks: []Block{}}
	for _, t := range report.Tiers {
		out.Tiers = append(out.Tiers, TierBlocks{Alias: t.Alias, Blocks: t.BlockCount})
	}
	tier, err := chosenTier(report, q.Get("tier"))
	if err != nil {
		return nil, err
	}
	out.Tier = tier.Alias
	page, more := pageOf(tier.Blocks, after, limit)
	for _, b := range page {
		meta, err := u.cfg.Store.BlockMeta(b.ID)
		if errors.Is(err, blockstore.ErrBlockNotFound) {
			continue // removed since the report: the page shows what is there
		}
		if err != nil {
			return nil, fserr.New(fserr.Unavailable, "block %d: %v", b.ID, err)
		}
		b.LengthBytes = meta.Length
		out.Blocks = append(out.Blocks, b)
	}
	if more {
		out.NextAfter = strconv.FormatInt(page[len(page)-1].ID, 10)
	}
	return out, nil
}

// chosenTier is the tier named alias, the first tier when alias is "".
func chosenTier(r blockstore.Report, alias string) (blockstore.TierReport, error) {
	for _, t := range r.Tiers {
		if t.Alias == alias || alias == "" {
			return t, nil
		}
	}
	return blockstore.TierReport{}, fserr.New(fserr.InvalidArgument, "tier %q: this worker has the tiers %s", alias, tierNames(r))
}

// afterOf reads the after parameter: a block id, or nothing for the
// first page.
func afterOf(s string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fserr.New(fserr.InvalidArgument, "after %q: give the block id that ends the previous page", s)
	}
	return &id, nil
}

// pageOf is the first limit blocks, by id, after the given id (from the
// first when nil), of a tier's block ids by medium; more says whether
// others follow.
func pageOf(byMedium map[string][]int64, after *int64, limit int) (page []Block, more bool) {
	var all []Block
	for medium, ids := range byMedium {
		for _, id := range ids {
			if after == nil || id > *after {
				all = append(all, Block{ID: id, Medium: medium})
			}
		}
	}
	slices.SortFunc(all, func(a, b Block) int { return cmp.Compare(a.ID, b.ID) })
	if len(all) > limit {
		return all[:limit], true
	}
	return all, false
}

func tierNames(r blockstore.Report) string {
	names := make([]string, 0, len(r.Tiers))
	for _, t := range r.Tiers {
		names = append(names, t.Alias)
	}
	return strings.Join(names, ", ")
}
