package traffic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/jepsen/model"
	"github.com/halo-fs/halo/proto/halopb"
)

// DataRoot is the folder the data workload owns.
const DataRoot = "/jepsen-data"

// DataConfig shapes the data workload: writers that each write files of
// known content one after another, and read back one of their earlier
// files after each write.
type DataConfig struct {
	Writers int
	// Interval is how long a writer waits between files.
	Interval time.Duration
	// BlockSize is small so that every file spans several blocks, spread
	// over the workers; sizes are drawn up to MaxBlocks blocks and a half.
	BlockSize int64
	MaxBlocks int
	// Types are written in turn.
	Types []client.WriteType
	// MaxFiles bounds the files of a run.
	MaxFiles int
	// PersistWithin bounds how long after healing an acknowledged
	// ASYNC_THROUGH file may take to become PERSISTED.
	PersistWithin time.Duration
}

// DefaultDataConfig is 2 writers, a file each every 100 ms, of up to four
// and a half 64 KiB blocks, in every cached write type.
func DefaultDataConfig() DataConfig {
	return DataConfig{
		Writers:       2,
		Interval:      100 * time.Millisecond,
		BlockSize:     64 << 10,
		MaxBlocks:     4,
		Types:         []client.WriteType{client.MustCache, client.CacheThrough, client.AsyncThrough},
		MaxFiles:      2000,
		PersistWithin: 30 * time.Second,
	}
}

// DataRunner runs the data workload against one deployment.
type DataRunner struct {
	cfg   DataConfig
	clock Clock
	r     *Runner // for its clients

	mu     sync.Mutex
	writes []model.DataWrite
	reads  []model.DataRead
}

// NewDataRunner prepares the data workload; its clients are the
// namespace workload's, cluster-wide.
func NewDataRunner(cfg DataConfig, r *Runner) *DataRunner {
	return &DataRunner{cfg: cfg, clock: r.clock, r: r}
}

// Run runs the writers until ctx ends or MaxFiles files were written.
func (d *DataRunner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	files := make(chan int, d.cfg.MaxFiles)
	for i := range d.cfg.MaxFiles {
		files <- i
	}
	close(files)
	for w := range d.cfg.Writers {
		c, err := d.r.NewClient("", d.r.cfg.RetryBudget)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			d.write(ctx, c, w, files)
		}()
	}
	wg.Wait()
	return nil
}

// write writes the files it takes from files, one every Interval, until
// ctx ends; after each acknowledged one it reads back an earlier one.
func (d *DataRunner) write(ctx context.Context, c *client.Client, writer int, files <-chan int) {
	rng := rand.New(rand.NewPCG(uint64(writer), uint64(time.Now().UnixNano())))
	var acked []model.DataWrite
	for n := range files {
		if ctx.Err() != nil {
			return
		}
		w := d.next(rng, writer, n)
		w.Call = d.clock.Now()
		err := d.writeFile(c, w)
		w.Return = d.clock.Now()
		w.Outcome = model.OK
		if err != nil {
			out := classify(model.Create, err)
			w.Outcome, w.Code, w.Error = out.Outcome, out.Code, out.Error
		}
		d.recordWrite(w)
		if w.Outcome == model.OK {
			acked = append(acked, w)
			// A read during the faults of a file acknowledged earlier:
			// it may fail, never return wrong bytes.
			r := d.readFile(c, acked[rng.IntN(len(acked))])
			r.During = true
			d.recordRead(r)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.cfg.Interval):
		}
	}
}

// next is writer's file number n: the write types in turn, a size up to
// MaxBlocks blocks and a half.
func (d *DataRunner) next(rng *rand.Rand, writer, n int) model.DataWrite {
	return model.DataWrite{
		Path:      fmt.Sprintf("%s/w%d-%05d", DataRoot, writer, n),
		WriteType: string(d.cfg.Types[n%len(d.cfg.Types)]),
		Size:      rng.Int64N(int64(d.cfg.MaxBlocks)*d.cfg.BlockSize + d.cfg.BlockSize/2 + 1),
		Seed:      rng.Uint64(),
	}
}

func (d *DataRunner) recordWrite(w model.DataWrite) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes = append(d.writes, w)
}

func (d *DataRunner) recordRead(r model.DataRead) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reads = append(d.reads, r)
}

// writeFile writes w's content with one client writer; a failure aborts
// it, leaving an incomplete file or none.
func (d *DataRunner) writeFile(c *client.Client, w model.DataWrite) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*d.r.cfg.RetryBudget)
	defer cancel()
	f, err := c.Create(ctx, w.Path, client.CreateOptions{WriteType: client.WriteType(w.WriteType), BlockSize: d.cfg.BlockSize, Recursive: true, NoShortCircuit: true})
	if err != nil {
		return err
	}
	if _, err := f.Write(model.Content(w.Path, w.Seed, w.Size)); err != nil {
		f.Abort()
		return err
	}
	return f.Close()
}

// readFile reads w's file whole and holds it to w's content.
func (d *DataRunner) readFile(c *client.Client, w model.DataWrite) model.DataRead {
	ctx, cancel := context.WithTimeout(context.Background(), 4*d.r.cfg.RetryBudget)
	defer cancel()
	r := model.DataRead{Path: w.Path, Mismatch: -1}
	defer func() { r.Time = d.clock.Now() }()
	info, err := c.GetStatus(ctx, w.Path)
	if err != nil {
		if fserr.CodeOf(err) != fserr.NotFound {
			r.Code, r.Error = fserr.CodeOf(err).String(), err.Error()
		}
		return r
	}
	r.Found, r.Complete, r.Length, r.Persistence = true, info.Completed, info.Length, info.PersistenceState.String()
	if !info.Completed {
		return r
	}
	f, err := c.Open(ctx, w.Path, client.OpenOptions{ReadType: client.NoCache, NoShortCircuit: true})
	if err != nil {
		r.Code, r.Error = fserr.CodeOf(err).String(), err.Error()
		return r
	}
	defer f.Close()
	got, err := io.ReadAll(io.LimitReader(f, w.Size+1))
	r.Read, r.Mismatch = int64(len(got)), model.FirstMismatch(got, model.Content(w.Path, w.Seed, w.Size))
	if err != nil && !errors.Is(err, io.EOF) {
		r.Code, r.Error = fserr.CodeOf(err).String(), err.Error()
	}
	return r
}

// ReadBack reads every written file through the whole cluster after
// healing: unreadable ones again until within passes, and acknowledged
// ASYNC_THROUGH ones until they are PERSISTED or PersistWithin passes.
// It returns the history of writes and reads.
func (d *DataRunner) ReadBack(within time.Duration) ([]model.DataWrite, []model.DataRead, error) {
	c, err := d.r.NewClient("", d.r.cfg.RetryBudget)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	d.mu.Lock()
	writes := append([]model.DataWrite(nil), d.writes...)
	reads := append([]model.DataRead(nil), d.reads...)
	d.mu.Unlock()
	readDeadline := time.Now().Add(within)
	persistDeadline := time.Now().Add(d.cfg.PersistWithin)
	for _, w := range writes {
		r := d.readFile(c, w)
		for settling(r) && time.Now().Before(readDeadline) {
			time.Sleep(100 * time.Millisecond)
			r = d.readFile(c, w)
		}
		for w.Outcome == model.OK && w.WriteType == string(client.AsyncThrough) && r.Complete &&
			r.Persistence != halopb.PersistenceState_PERSISTED.String() && time.Now().Before(persistDeadline) {
			time.Sleep(200 * time.Millisecond)
			r = d.readFile(c, w)
		}
		reads = append(reads, r)
	}
	return writes, reads, nil
}

// settling: a read that failed on its way (a master or worker not yet
// back after healing) is worth repeating; an answer about the file is
// not.
func settling(r model.DataRead) bool {
	return r.Error != "" && r.Mismatch < 0
}
