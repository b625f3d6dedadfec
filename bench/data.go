package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/adapters"
)

// `halo bench data` measures the data path: N clients, each writing or
// reading a file of its own of Size bytes at once. Each figure comes with
// the same work done on the raw medium in the same process (plain os.File
// on tmpfs), and for cold reads with reading the same files straight from
// the UFS, so that the ratios say what Halo costs over the medium.

// The data operations.
const (
	DataWrite = "write"
	DataRead  = "read"
)

// DataOperations lists the data operations.
var DataOperations = []string{DataWrite, DataRead}

// Defaults for DataOptions.
const (
	DefaultDataClients  = 1
	DefaultDataSize     = 1 << 30
	DefaultDataBasePath = "/bench-data"
	DefaultRawDir       = "/dev/shm"
	DefaultBufferSize   = 1 << 20
	// evictionTimeout bounds the wait for the workers to drop the blocks
	// a cold read must not find.
	evictionTimeout = 2 * time.Minute
)

// DataOptions configures a data run.
type DataOptions struct {
	Operation string
	Clients   int
	// Size is the length of each client's file: a run moves Clients×Size
	// bytes.
	Size int64
	// WriteType is how the files are written (measured for write, the
	// preparation for read); empty means MUST_CACHE, or CACHE_THROUGH for
	// a cold read, which needs the files in the UFS.
	WriteType client.WriteType
	ReadType  client.ReadType // empty means CACHE
	// NoShortCircuit sends every byte through a worker's stream even when
	// the worker is on this host.
	NoShortCircuit bool
	// Cold frees the files' blocks before reading them, so that the
	// workers read them from the UFS.
	Cold bool
	// BasePath is the folder in Halo under which each run makes its own.
	BasePath string
	// RawDir is where the raw baseline writes its files (tmpfs for the MEM
	// tier); empty means no raw baseline.
	RawDir     string
	BufferSize int
	// UFSOptions open the UFS for the cold reads' baseline (credentials,
	// endpoints), as the site properties give them.
	UFSOptions map[string]string
	// Progress receives a line per phase; nil for none.
	Progress io.Writer
}

func (o DataOptions) withDefaults() DataOptions {
	if o.Clients == 0 {
		o.Clients = DefaultDataClients
	}
	if o.Size == 0 {
		o.Size = DefaultDataSize
	}
	if o.WriteType == "" {
		o.WriteType = client.MustCache
		if o.Cold {
			o.WriteType = client.CacheThrough
		}
	}
	if o.ReadType == "" {
		o.ReadType = client.Cache
	}
	if o.BasePath == "" {
		o.BasePath = DefaultDataBasePath
	}
	if o.BufferSize == 0 {
		o.BufferSize = DefaultBufferSize
	}
	return o
}

func (o DataOptions) validate() error {
	switch {
	case o.Operation != DataWrite && o.Operation != DataRead:
		return fmt.Errorf("unknown data operation %q: use one of %s", o.Operation, strings.Join(DataOperations, ", "))
	case o.Clients < 1:
		return fmt.Errorf("clients must be at least 1, not %d", o.Clients)
	case o.Size < 1:
		return fmt.Errorf("size must be at least 1 byte, not %d", o.Size)
	case o.BufferSize < 1:
		return fmt.Errorf("buffer size must be at least 1 byte, not %d", o.BufferSize)
	case !strings.HasPrefix(o.BasePath, "/"):
		return fmt.Errorf("base path must be absolute, not %q", o.BasePath)
	case o.Cold && o.Operation != DataRead:
		return errors.New("--cold applies to reads only")
	case o.Cold && o.WriteType == client.MustCache:
		return errors.New("a cold read needs its files in the UFS: write them CACHE_THROUGH or THROUGH, not MUST_CACHE")
	}
	return nil
}

// DataResult is what a data run measured. MB is 10^6 bytes. A ratio is
// Halo's rate over the baseline's; zero when there was none.
type DataResult struct {
	Operation     string  `json:"operation"`
	Clients       int     `json:"clients"`
	SizePerClient int64   `json:"size_per_client"`
	TotalBytes    int64   `json:"total_bytes"`
	WriteType     string  `json:"write_type"`
	ReadType      string  `json:"read_type,omitempty"`
	ShortCircuit  bool    `json:"short_circuit"`
	Cold          bool    `json:"cold"`
	Seconds       float64 `json:"seconds"`
	MBps          float64 `json:"mb_per_sec"`
	RawMBps       float64 `json:"raw_mb_per_sec,omitempty"`
	RawRatio      float64 `json:"raw_ratio,omitempty"`
	UFSMBps       float64 `json:"ufs_mb_per_sec,omitempty"`
	UFSRatio      float64 `json:"ufs_ratio,omitempty"`
}

// rate is bytes over elapsed in MB/s.
func rate(bytes int64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(bytes) / 1e6 / elapsed.Seconds()
}

func ratio(rate, baseline float64) float64 {
	if baseline <= 0 {
		return 0
	}
	return rate / baseline
}

// DataClients are a run's clients, one per simulated client process.
type DataClients []*client.Client

// RunData measures opts.Operation with one client of clients per file. It
// works in a fresh folder under opts.BasePath and deletes it afterwards
// (best effort), as it does the raw baseline's files.
func RunData(ctx context.Context, clients DataClients, opts DataOptions) (DataResult, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return DataResult{}, err
	}
	if len(clients) != opts.Clients {
		return DataResult{}, fmt.Errorf("%d clients given for a run of %d", len(clients), opts.Clients)
	}
	c := clients[0]
	runDir := path.Join(opts.BasePath, fmt.Sprintf("%s-%s", time.Now().UTC().Format("20060102-150405.000"), c.ClientID()[:8]))
	if _, err := c.CreateDirectory(ctx, runDir, client.CreateDirectoryOptions{Recursive: true}); err != nil {
		return DataResult{}, fmt.Errorf("creating the run folder %s: %w", runDir, err)
	}
	defer cleanUp(c, runDir)
	run := &dataRun{opts: opts, clients: clients, dir: runDir, payload: payload(opts.BufferSize)}
	res := DataResult{
		Operation: opts.Operation, Clients: opts.Clients, SizePerClient: opts.Size, TotalBytes: int64(opts.Clients) * opts.Size,
		WriteType: string(opts.WriteType), ShortCircuit: !opts.NoShortCircuit, Cold: opts.Cold,
	}
	if opts.Operation == DataRead {
		res.ReadType = string(opts.ReadType)
	}
	if opts.RawDir != "" {
		raw, err := run.rawBaseline()
		if err != nil {
			return res, fmt.Errorf("raw baseline in %s: %w", opts.RawDir, err)
		}
		res.RawMBps = rate(res.TotalBytes, raw)
	}
	var elapsed time.Duration
	var err error
	if opts.Operation == DataWrite {
		elapsed, err = run.timed(run.write)
	} else {
		elapsed, err = run.read(ctx)
	}
	if err != nil {
		return res, err
	}
	res.Seconds = elapsed.Seconds()
	res.MBps = rate(res.TotalBytes, elapsed)
	res.RawRatio = ratio(res.MBps, res.RawMBps)
	if opts.Cold {
		direct, err := run.timed(run.readUFS)
		if err != nil {
			return res, fmt.Errorf("reading the files straight from the UFS: %w", err)
		}
		res.UFSMBps = rate(res.TotalBytes, direct)
		res.UFSRatio = ratio(res.MBps, res.UFSMBps)
	}
	return res, nil
}

// payload is one buffer of random bytes every write repeats: incompressible,
// and made once so that making it is not measured.
func payload(size int) []byte {
	rng := rand.NewChaCha8([32]byte{'h', 'a', 'l', 'o'})
	buf := make([]byte, size)
	_, _ = rng.Read(buf)
	return buf
}

type dataRun struct {
	opts    DataOptions
	clients DataClients
	dir     string
	payload []byte
}

func (r *dataRun) file(i int) string { return path.Join(r.dir, fmt.Sprintf("c%d", i)) }

func (r *dataRun) progress(format string, args ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, "[data %s] "+format+"\n", append([]any{r.opts.Operation}, args...)...)
	}
}

// timed runs fn for every client at once and returns the time until the
// last one finished.
func (r *dataRun) timed(fn func(i int) error) (time.Duration, error) {
	start := time.Now()
	errs := make([]error, r.opts.Clients)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// write writes client i's file through Halo.
func (r *dataRun) write(i int) error {
	ctx := context.Background()
	w, err := r.clients[i].Create(ctx, r.file(i), client.CreateOptions{WriteType: r.opts.WriteType, NoShortCircuit: r.opts.NoShortCircuit})
	if err != nil {
		return err
	}
	if err := writeRepeated(w, r.payload, r.opts.Size); err != nil {
		w.Abort()
		return fmt.Errorf("writing %s: %w", r.file(i), err)
	}
	return w.Close()
}

// writeRepeated writes size bytes of buf repeated.
func writeRepeated(w io.Writer, buf []byte, size int64) error {
	for left := size; left > 0; {
		n, err := w.Write(buf[:min(int64(len(buf)), left)])
		if err != nil {
			return err
		}
		left -= int64(n)
	}
	return nil
}

// read writes the files, frees them for a cold read, then times reading
// them.
func (r *dataRun) read(ctx context.Context) (time.Duration, error) {
	r.progress("writing %d file(s) of %d bytes %s", r.opts.Clients, r.opts.Size, r.opts.WriteType)
	if _, err := r.timed(r.write); err != nil {
		return 0, fmt.Errorf("writing the files to read: %w", err)
	}
	if r.opts.Cold {
		r.progress("freeing their blocks")
		if err := r.evict(ctx); err != nil {
			return 0, err
		}
	}
	r.progress("reading")
	return r.timed(r.readOne)
}

// readOne reads client i's file through Halo, checking its length.
func (r *dataRun) readOne(i int) error {
	f, err := r.clients[i].Open(context.Background(), r.file(i), client.OpenOptions{ReadType: r.opts.ReadType, NoShortCircuit: r.opts.NoShortCircuit})
	if err != nil {
		return err
	}
	defer f.Close()
	return readAll(f, r.opts.BufferSize, r.opts.Size, r.file(i))
}

// readAll reads in to its end with a buffer of bufSize bytes and checks
// that it held want bytes.
func readAll(in io.Reader, bufSize int, want int64, name string) error {
	buf := make([]byte, bufSize)
	var got int64
	for {
		n, err := in.Read(buf)
		got += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
	}
	if got != want {
		return fmt.Errorf("read %d bytes of %s, want %d", got, name, want)
	}
	return nil
}

// evict frees the run's blocks and waits until no worker holds any.
func (r *dataRun) evict(ctx context.Context) error {
	c := r.clients[0]
	if err := c.FreeBlocks(ctx, r.dir, false); err != nil {
		return fmt.Errorf("freeing %s: %w", r.dir, err)
	}
	deadline := time.Now().Add(evictionTimeout)
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for i := 0; i < r.opts.Clients; {
		cached, err := cachedBlocks(ctx, c, r.file(i))
		switch {
		case err != nil:
			return err
		case cached == 0:
			i++
			continue
		case time.Now().After(deadline):
			return fmt.Errorf("%s still has %d cached block(s) %s after it was freed", r.file(i), cached, evictionTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
	return nil
}

// cachedBlocks counts the blocks of p some worker holds.
func cachedBlocks(ctx context.Context, c *client.Client, p string) (int, error) {
	blocks, err := c.FileBlocks(ctx, p)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range blocks {
		if len(b.Locations) > 0 {
			n++
		}
	}
	return n, nil
}

// readUFS reads client i's file straight from the UFS, without Halo.
func (r *dataRun) readUFS(i int) error {
	ctx := context.Background()
	info, err := r.clients[i].GetStatus(ctx, r.file(i))
	if err != nil {
		return err
	}
	ufsPath := info.GetUfsPath()
	slash := strings.LastIndex(ufsPath, "/")
	if slash < 0 {
		return fmt.Errorf("%s has no UFS path (%q)", r.file(i), ufsPath)
	}
	store, err := adapters.Open(ctx, ufsPath[:max(slash, 1)], r.opts.UFSOptions)
	if err != nil {
		return err
	}
	defer store.Close()
	return readFromStore(ctx, store, ufsPath[slash+1:], r.opts.BufferSize, r.opts.Size)
}

func readFromStore(ctx context.Context, store ufs.Store, name string, bufSize int, want int64) error {
	in, err := store.Open(ctx, name)
	if err != nil {
		return err
	}
	defer in.Close()
	return readAll(in, bufSize, want, name)
}

// rawRuns is how many times the raw baseline is measured: the best run
// is the medium's rate, which a busy machine can only lower.
const rawRuns = 3

// rawBaseline writes every client's file into RawDir with plain os.File
// and, for a read run, reads them back; it returns the shortest time of
// the operation being measured in rawRuns runs. The files are removed
// after.
func (r *dataRun) rawBaseline() (time.Duration, error) {
	dir, err := os.MkdirTemp(r.opts.RawDir, "halo-bench-raw-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	name := func(i int) string { return filepath.Join(dir, fmt.Sprintf("c%d", i)) }
	r.progress("raw baseline in %s, best of %d", dir, rawRuns)
	write := func(i int) error {
		f, err := os.Create(name(i))
		if err != nil {
			return err
		}
		if err := writeRepeated(f, r.payload, r.opts.Size); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if r.opts.Operation == DataWrite {
		return r.bestOf(rawRuns, write)
	}
	if _, err := r.timed(write); err != nil {
		return 0, err
	}
	return r.bestOf(rawRuns, func(i int) error {
		f, err := os.Open(name(i))
		if err != nil {
			return err
		}
		defer f.Close()
		return readAll(f, r.opts.BufferSize, r.opts.Size, f.Name())
	})
}

// bestOf times fn for every client runs times and returns the shortest.
func (r *dataRun) bestOf(runs int, fn func(i int) error) (time.Duration, error) {
	var best time.Duration
	for run := range runs {
		took, err := r.timed(fn)
		if err != nil {
			return 0, err
		}
		if run == 0 || took < best {
			best = took
		}
	}
	return best, nil
}
