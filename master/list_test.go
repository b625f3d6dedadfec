package master

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/proto/journalpb"
)

// bigEntries is how many files bigDirectory makes; with blocksPerFile
// block ids of nine bytes each they describe ~5.4 MB, more than the 4 MiB
// a gRPC client receives in one message by default.
const (
	bigEntries    = 300
	blocksPerFile = 2000
)

// bigDirectory makes /big holding bigEntries files of blocksPerFile blocks.
// Alluxio's CompleteFile names no blocks (workers commit them), so the
// files are completed with their blocks by the operation itself.
func bigDirectory(t *testing.T, m *Master, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	blocks := make([]uint64, blocksPerFile)
	for i := range blocks {
		blocks[i] = 1<<62 + uint64(i)
	}
	caller := asCaller(t, m, ctx, "halo")
	// Eight writers at once share the journal's flushes.
	errs := make(chan error, bigEntries)
	next := make(chan int, bigEntries)
	for i := 0; i < bigEntries; i++ {
		next <- i
	}
	close(next)
	for w := 0; w < 8; w++ {
		go func() {
			for i := range next {
				p := fmt.Sprintf("/big/f%03d", i)
				_, err := c.CreateFile(ctx, p, client.CreateFileOptions{Recursive: true})
				if err == nil {
					err = m.CompleteFile(caller, CompleteFileOptions{Path: p, Length: 1, BlockIDs: blocks})
				}
				errs <- err
			}
		}()
	}
	for i := 0; i < bigEntries; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("making /big: %v", err)
		}
	}
}

func newClient(t *testing.T, m *Master) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{Addresses: []string{m.RPCAddr()}, User: "halo", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestListStatusOfEntriesBeyondFourMiB(t *testing.T) {
	m, _ := startLocalMaster(t)
	c := newClient(t, m)
	bigDirectory(t, m, c)
	infos, err := c.ListStatus(context.Background(), "/big", false)
	if err != nil {
		t.Fatalf("ListStatus(/big): %v", err)
	}
	if len(infos) != bigEntries {
		t.Fatalf("listed %d entries, want %d", len(infos), bigEntries)
	}
	for i, fi := range infos {
		if want := fmt.Sprintf("/big/f%03d", i); fi.GetPath() != want || len(fi.GetBlockIds()) != blocksPerFile {
			t.Fatalf("entry %d: %s with %d blocks, want %s with %d", i, fi.GetPath(), len(fi.GetBlockIds()), want, blocksPerFile)
		}
	}
}

// TestListStatusLetsWritesThroughBetweenPages makes a write from the
// listing's own goroutine between two of its pages: it can only complete
// if the listing holds no lock there. The listing is the master's own, as
// Alluxio's streamed ListStatus sends it; Halo's client lists a call per
// page.
func TestListStatusLetsWritesThroughBetweenPages(t *testing.T) {
	m, _ := startLocalMaster(t)
	c := newClient(t, m)
	bigDirectory(t, m, c)
	pauses := 0
	var writeErr error
	listPageHook = func() {
		pauses++
		if pauses == 1 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// Ahead of the listing's position: the next pages see it gone.
			writeErr = c.Delete(ctx, fmt.Sprintf("/big/f%03d", bigEntries-1), false)
		}
	}
	t.Cleanup(func() { listPageHook = nil })
	var listed []string
	err := m.List(asCaller(t, m, context.Background(), "halo"), ListOptions{Path: "/", Recursive: true}, func(page []*journalpb.FileStatus) error {
		for _, fi := range page {
			listed = append(listed, fi.GetPath())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ListStatus(/): %v", err)
	}
	if writeErr != nil {
		t.Fatalf("write between two pages: %v", writeErr)
	}
	if pauses == 0 {
		t.Fatal("the listing came in one page")
	}
	// /big and all its files but the one deleted during the listing.
	if len(listed) != bigEntries || listed[len(listed)-1] != fmt.Sprintf("/big/f%03d", bigEntries-2) {
		t.Fatalf("listed %d entries ending with %s; want %d, without the file deleted during the listing", len(listed), listed[len(listed)-1], bigEntries)
	}
}

// A caller that wants a few entries (a ListStatusPartial batch) gets
// pages of that many, not of the namespace's default: each page costs
// what it holds, so a partial listing of a huge directory reads a batch
// per call rather than ten thousand entries.
func TestListPagesHoldAtMostPageEntries(t *testing.T) {
	const files, pageEntries = 25, 10
	m, _ := startLocalMaster(t)
	c := newClient(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range files {
		if _, err := c.CreateFile(ctx, fmt.Sprintf("/d/f%02d", i), client.CreateFileOptions{Recursive: true}); err != nil {
			t.Fatal(err)
		}
	}
	var sizes []int
	err := m.List(asCaller(t, m, ctx, "halo"), ListOptions{Path: "/d", PageEntries: pageEntries}, func(page []*journalpb.FileStatus) error {
		sizes = append(sizes, len(page))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{10, 10, 5}; fmt.Sprint(sizes) != fmt.Sprint(want) {
		t.Fatalf("pages of %v entries, want %v", sizes, want)
	}
}
