package masterui

import (
	"net/http"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/web"
)

// Data is a page of the In-Alluxio data (webui_data): the files some of
// whose bytes live workers hold, in path order, as of AppliedIndex.
type Data struct {
	AppliedIndex uint64  `json:"appliedIndex"`
	Files        []Entry `json:"fileInfos"`
	// Scanned is how many entries of the namespace this page looked at;
	// NextAfter continues the scan from there (the after= of the next
	// page), "" once it reached the end of the namespace.
	Scanned   int    `json:"scanned"`
	NextAfter string `json:"nextAfter,omitempty"`
}

// maxDataScan bounds the entries one page of In-Alluxio data looks at,
// so that a huge namespace with few cached files costs many cheap pages,
// not one request that walks it all.
const maxDataScan = 10_000

// data walks the namespace in path order from after, keeping the files
// that live workers hold some of, until limit files or maxDataScan
// entries.
func (u *UI) data(r *http.Request) (any, error) {
	q := r.URL.Query()
	limit, err := web.PageLimit(q.Get("limit"))
	if err != nil {
		return nil, err
	}
	ns := u.cfg.Master.Namespace()
	out := Data{AppliedIndex: ns.AppliedIndex(), Files: []Entry{}}
	lister, err := ns.NewLister(reader, "/", true, q.Get("after"))
	if err != nil {
		return nil, err
	}
	for out.Scanned < maxDataScan {
		page, done, err := lister.Next(fsm.ListPageLimits{
			MaxBytes: fsm.DefaultListPageLimits().MaxBytes, MaxEntries: min(web.MaxPageLimit, maxDataScan-out.Scanned),
		})
		if err != nil {
			return nil, err
		}
		for i, st := range page {
			out.Scanned++
			out.NextAfter = st.Path
			if st.IsDirectory || st.Length == 0 {
				continue
			}
			e := u.entryOf(st)
			if e.InAlluxioPercentage == 0 {
				continue
			}
			out.Files = append(out.Files, e)
			if len(out.Files) == limit {
				if done && i == len(page)-1 {
					out.NextAfter = ""
				}
				return out, nil
			}
		}
		if done {
			out.NextAfter = ""
			return out, nil
		}
	}
	return out, nil
}
