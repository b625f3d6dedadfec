package blockstore

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// crashConfigEnv hands the helper process its store configuration.
const crashConfigEnv = "HALO_BLOCKSTORE_CRASH_CONFIG"

// crashBlockSize spans several chunks and several writes per block, so a
// kill lands inside writes as well as inside commits.
const crashBlockSize = 5*chunkSize + 17

// TestCrashHelperProcess is not a test on its own: the crash test runs the
// test binary again with only this test and the configuration in the
// environment. It commits blocks 1, 2, 3, ... printing each id once its
// Commit returned, until it is killed.
func TestCrashHelperProcess(t *testing.T) {
	raw := os.Getenv(crashConfigEnv)
	if raw == "" {
		t.Skip("run by TestKillDuringWritesKeepsExactlyTheCommittedBlocks")
	}
	var cfg Config
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute) // in case the parent died first
	for id := int64(1); time.Now().Before(deadline); id++ {
		b, err := s.CreateBlock(1, id, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		data := blockData(id, crashBlockSize)
		for len(data) > 0 {
			n := min(len(data), 10000)
			if _, err := b.Write(data[:n]); err != nil {
				t.Fatal(err)
			}
			data = data[n:]
		}
		if _, err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		fmt.Println(id)
	}
}

func TestKillDuringWritesKeepsExactlyTheCommittedBlocks(t *testing.T) {
	cfg := newConfig(t, testTier{TierSSD, []int64{1 << 30}})
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		acked := killHelperAfter(t, raw, 5+7*round)
		s, err := Open(cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		present := blocksIn(s, TierSSD)
		last := acked[len(acked)-1]
		for _, id := range acked {
			if !slices.Contains(present, id) {
				t.Errorf("round %d: committed block %d is missing after the kill", round, id)
			}
		}
		for _, id := range present {
			// The block being committed at the kill may or may not be
			// there, but only whole: checkBlock reads it through its
			// checksums.
			if id > last+1 {
				t.Errorf("round %d: block %d is there, but the helper had only committed up to %d", round, id, last)
			}
			checkBlock(t, s, id, crashBlockSize)
		}
		tmp := filepath.Join(cfg.Tiers[0].Dirs[0].Path, blocksFolder, tmpFolder)
		if left, err := os.ReadDir(tmp); err != nil || len(left) != 0 {
			t.Errorf("round %d: the temp folder holds %d files after Open (%v)", round, len(left), err)
		}
		for _, id := range present {
			if err := s.RemoveBlock(id); err != nil { // the next round starts from 1 again
				t.Fatal(err)
			}
		}
		s.Close()
	}
}

// killHelperAfter starts the helper, SIGKILLs it once it has reported want
// committed blocks, and returns the ids it reported.
func killHelperAfter(t *testing.T, cfg []byte, want int) []int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashConfigEnv+"="+string(cfg))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []int64
	lines := bufio.NewScanner(stdout)
	readAck := func() {
		if id, err := strconv.ParseInt(lines.Text(), 10, 64); err == nil {
			acked = append(acked, id)
		}
	}
	for len(acked) < want && lines.Scan() {
		readAck()
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// The helper goes on committing until the signal lands; what it
	// reported meanwhile is still in the pipe, and counts as acknowledged.
	for lines.Scan() {
		readAck()
	}
	_ = cmd.Wait()
	if len(acked) < want {
		t.Fatalf("the helper stopped after committing %v", acked)
	}
	return acked
}
