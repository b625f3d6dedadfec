package traffic

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/jepsen/model"
)

// FinalState is what the cluster holds after healing, read through the
// leader: every group's listing (also recorded as history operations, so
// that linearizability covers the final state) and the ledger's files by
// path with their values.
type FinalState struct {
	Groups map[int]model.State
	Ops    []model.Op
	Ledger map[string]int64
}

// ReadFinal lists every group and the ledger through the whole cluster.
func (r *Runner) ReadFinal(ctx context.Context) (*FinalState, error) {
	c, err := r.NewClient("", 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	fs := &FinalState{Groups: map[int]model.State{}, Ledger: map[string]int64{}}
	for g := 0; g < r.cfg.Groups; g++ {
		in := model.Input{Kind: model.List, Group: g}
		op := model.Op{Client: -1, Stream: int(r.streams.Add(1) - 1), Input: in}
		op.Call = r.clock.Now()
		op.Output = Execute(ctx, c, in)
		op.Return = r.clock.Now()
		if op.Output.Outcome != model.OK {
			return nil, fmt.Errorf("final listing of %s: %s %s", GroupPath(g), op.Output.Code, op.Output.Error)
		}
		fs.Ops = append(fs.Ops, op)
		fs.Groups[g] = model.State(*op.Output.Listing)
	}
	infos, err := c.ListStatus(ctx, LedgerDir, false)
	if err != nil {
		return nil, fmt.Errorf("final listing of %s: %w", LedgerDir, err)
	}
	for _, fi := range infos {
		fs.Ledger[path.Join(LedgerDir, fi.Name)] = fi.BlockSizeBytes
	}
	return fs, nil
}

// Tombstone creates one more file through the whole cluster and returns
// how long that took: the recovery check, made right after the faults are
// healed.
func (r *Runner) Tombstone(ctx context.Context, within time.Duration) (time.Duration, error) {
	c, err := r.NewClient("", within)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	start := time.Now()
	_, err = c.CreateFile(ctx, fmt.Sprintf("%s/tombstone-%d", Root, time.Now().UnixNano()), client.CreateFileOptions{Completed: true})
	return time.Since(start), err
}
