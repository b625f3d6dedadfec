package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// chainPath is prefix followed by depth components "x".
func chainPath(prefix string, depth int) string {
	return prefix + strings.Repeat("/x", depth)
}

// getDigest asks m's web port for /checkpoint/digest.
func getDigest(m *masters.Master) (masters.Digest, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return m.Digest(ctx)
}

// waitSameDigest polls every master's digest until all answer with the
// same applied index and hash, and returns it.
func waitSameDigest(t *testing.T, c *masters.Cluster) masters.Digest {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		first, why := sameDigest(c)
		if why == "" {
			return first
		}
		if time.Now().After(deadline) {
			t.Fatalf("masters did not answer one checkpoint digest within a minute: %s", why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sameDigest returns the masters' digest, or why they do not have one.
func sameDigest(c *masters.Cluster) (masters.Digest, string) {
	var first masters.Digest
	for i, m := range c.Masters {
		d, err := getDigest(m)
		if err != nil {
			return first, fmt.Sprintf("%s: GET /checkpoint/digest: %v", m.Name, err)
		}
		if i == 0 {
			first = d
		} else if d != first {
			return first, fmt.Sprintf("%s has %+v, %s %+v", m.Name, d, c.Masters[0].Name, first)
		}
	}
	return first, ""
}

// tryDeepRenames hangs deep chains under each other, as a client could
// over and over to make the tree deeper than any stack: each must be
// refused with a clear InvalidPath.
func tryDeepRenames(t *testing.T, ctx context.Context, cl *client.Client, deepDir string) {
	t.Helper()
	for i := 0; i < 3; i++ {
		for _, mv := range [][2]string{
			{"/b", chainPath("/a", 1500) + "/b"},
			{"/a", chainPath("/b", 1500) + "/a"},
			{"/a", deepDir + "/a"},
		} {
			err := cl.Rename(ctx, mv[0], mv[1])
			if fserr.CodeOf(err) != fserr.InvalidPath || !strings.Contains(err.Error(), "limit") {
				t.Fatalf("rename %s under a %d-byte path: %v, want InvalidPath naming the limit", mv[0], len(mv[1]), err)
			}
		}
	}
}

// TestDeepRenamesAreRefusedAndCheckpointsStillWork builds a tree as deep as
// the path limit allows, tries to make it deeper by renames, then has every
// master hash its namespace, the leader write a checkpoint, and every
// master restart from it.
func TestDeepRenamesAreRefusedAndCheckpointsStillWork(t *testing.T) {
	c, leader := startRaft(t, 3, nil)
	cl := newClient(t, c.RPCAddresses(), 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	deepDir := chainPath("/d", 2046)
	deepest := deepDir + "/f" // 4096 bytes: the limit
	if _, err := cl.CreateFile(ctx, deepest, client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
		t.Fatalf("create a %d-byte path: %v", len(deepest), err)
	}
	for _, top := range []string{"/a", "/b"} {
		if _, err := cl.CreateDirectory(ctx, chainPath(top, 1500), client.CreateDirectoryOptions{Recursive: true}); err != nil {
			t.Fatal(err)
		}
	}
	tryDeepRenames(t, ctx, cl, deepDir)

	before := waitSameDigest(t, c)
	if want := uint64(1 + 2047 + 1 + 2*1501); before.InodeCount != want {
		t.Fatalf("digest counts %d inodes, want %d", before.InodeCount, want)
	}
	if out, err := leader.Halo("fsadmin", "journal", "checkpoint"); err != nil || !strings.Contains(out, "Successfully took a checkpoint") {
		t.Fatalf("fsadmin journal checkpoint: %v\n%s", err, out)
	}

	for _, m := range c.Masters {
		m.Kill()
	}
	c.StartAll()
	c.Leader(time.Minute)
	if info, err := cl.GetStatus(ctx, deepest); err != nil || info.GetPath() != deepest {
		t.Fatalf("after a restart, GetStatus of the deepest file: %v, %v", info, err)
	}
	tryDeepRenames(t, ctx, cl, deepDir)
	if after := waitSameDigest(t, c); after.InodeCount != before.InodeCount {
		t.Fatalf("after a restart the digest counts %d inodes, before %d", after.InodeCount, before.InodeCount)
	}
}

// TestCLIListsADirectoryBeyondFourMiB lists, with bin/halo, a directory
// whose entries take more, in all, than the 4 MiB a gRPC client receives
// in one message.
func TestCLIListsADirectoryBeyondFourMiB(t *testing.T) {
	m := masters.NewMaster(t, "m1", "127.0.0.1")
	m.Format()
	m.Start()
	m.WaitReady(30 * time.Second)
	cl := newClient(t, []string{m.RPCAddress()}, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Entries of long names, about 1 KB each in Alluxio's form; no
	// call gives a file blocks before the workers come.
	const files = 6000
	suffix := strings.Repeat("n", 240)
	next := make(chan int, files)
	for i := range files {
		next <- i
	}
	close(next)
	errs := make(chan error, files)
	for range 8 {
		go func() {
			for i := range next {
				_, err := cl.CreateFile(ctx, fmt.Sprintf("/big/f%04d%s", i, suffix), client.CreateFileOptions{Recursive: true})
				errs <- err
			}
		}()
	}
	for range files {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"fs", "ls", "/big"}, {"fs", "ls", "-R", "/"}} {
		out, err := m.Halo(args...)
		if err != nil {
			t.Fatalf("halo %s: %v\n%s", strings.Join(args, " "), err, tail(out))
		}
		listed := 0
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "/big/f") {
				listed++
			}
		}
		if listed != files {
			t.Fatalf("halo %s listed %d files, want %d:\n%s", strings.Join(args, " "), listed, files, tail(out))
		}
	}
	out, err := m.Halo("fs", "count", "/big")
	if err != nil || !strings.Contains(out, fmt.Sprintf("\n%-25d%-25d%-15d", files, 0, 0)) {
		t.Fatalf("halo fs count /big: %v\n%s", err, out)
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}
