package e2e

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// SIGKILL of the leader in the middle of a read, through Halo's client and
// through `fs cat`, of a file written with each write type that keeps its
// bytes away from the masters: the read either completes with the right
// bytes (the blocks' locations are known when the file is opened) or
// fails with a clear error, having returned only right bytes up to then.
func TestDataPathLeaderKilledMidRead(t *testing.T) {
	for _, wt := range []client.WriteType{client.MustCache, client.CacheThrough, client.Through} {
		t.Run(string(wt), func(t *testing.T) {
			c, _, fs, ctx := startDataCluster(t)
			data := randomBytes(16, *faultFileMiB<<20)
			path := "/mid-read/" + strings.ToLower(string(wt))
			writeAll(t, ctx, fs, path, wt, data)
			readers := map[string]func(leader *masters.Master) (io.ReadCloser, func() error, error){
				"client": func(*masters.Master) (io.ReadCloser, func() error, error) {
					r, err := fs.Open(ctx, path, client.OpenOptions{ReadType: client.NoCache})
					return r, func() error { return nil }, err
				},
				"fs cat": func(leader *masters.Master) (io.ReadCloser, func() error, error) { return startCat(t, leader, path) },
			}
			for _, via := range []string{"client", "fs cat"} {
				leader := c.Leader(60 * time.Second)
				// Killed after a block and a half: one block is being
				// read, the next ones are still to be opened.
				got, err := readKillingLeader(func() (io.ReadCloser, func() error, error) { return readers[via](leader) }, leader, dataBlockSize*3/2)
				t.Logf("via %s, %s killed:", via, leader.Name)
				requireRightBytesOrClearError(t, got, data, err)
				// Back to three masters, so that the next kill leaves a
				// quorum.
				leader.Start()
				c.WaitLive(60 * time.Second)
			}
		})
	}
}

// readKillingLeader reads what open gives, killing the leader once killAt
// bytes were read; it returns the bytes read and the error that ended the
// read (the reader's, or the command's exit).
func readKillingLeader(open func() (io.ReadCloser, func() error, error), leader *masters.Master, killAt int) ([]byte, error) {
	r, wait, err := open()
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer r.Close()
	got := make([]byte, killAt)
	n, err := io.ReadFull(r, got)
	if err != nil {
		return got[:n], fmt.Errorf("before the kill: %w", err)
	}
	leader.Kill()
	rest, err := io.ReadAll(r)
	got = append(got, rest...)
	if err != nil {
		return got, err
	}
	return got, wait()
}

// startCat starts `halo fs cat path` with the leader's configuration
// (which names every master) and returns its output as it comes, and a
// wait for its exit with its error output.
func startCat(t *testing.T, leader *masters.Master, path string) (io.ReadCloser, func() error, error) {
	cmd := exec.Command(masters.Binary(t), "--conf", leader.ConfDir, "fs", "cat", path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	wait := func() error {
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("fs cat: %w: %s", err, stderr.String())
		}
		return nil
	}
	return io.NopCloser(bufio.NewReader(out)), wait, nil
}

// requireRightBytesOrClearError: a read that completed returned exactly
// the bytes written; one that failed returned a prefix of them and an
// error that says something.
func requireRightBytesOrClearError(t *testing.T, got, want []byte, err error) {
	t.Helper()
	if err == nil {
		if sha256.Sum256(got) != sha256.Sum256(want) {
			t.Fatalf("the read completed across the leader's kill with %d bytes and another SHA-256 than the %d written", len(got), len(want))
		}
		t.Logf("the read completed across the leader's kill: %d bytes, SHA-256 equal", len(got))
		return
	}
	if len(got) > len(want) || string(got) != string(want[:len(got)]) {
		t.Fatalf("the read failed (%v) after returning %d bytes that are not a prefix of the file", err, len(got))
	}
	if strings.TrimSpace(err.Error()) == "" {
		t.Fatal("the read failed with an empty error")
	}
	t.Errorf("the read failed across the leader's kill after %d of %d bytes: %v", len(got), len(want), err)
}
