package hatest

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/hashicorp/go-hclog"
)

// What the tests of every mode share besides the contract: the entries
// they propose, a way to stall the committer in Apply, and logs kept for
// failures only.

// Superuser stamps entries that tests propose directly to a replicator.
var Superuser = &journalpb.Caller{User: "root", Groups: []string{"root"}, Superuser: true}

// MkdirEntry, TouchEntry, RenameEntry and DeleteEntry build the entries
// tests propose most, stamped as a leader would.
func MkdirEntry(path string) *journalpb.Entry {
	return &journalpb.Entry{TimeMs: 1000, Caller: Superuser, Payload: &journalpb.Entry_CreateDirectory{
		CreateDirectory: &journalpb.CreateDirectoryEntry{Path: path, Mode: 0o755, Recursive: true},
	}}
}

// TouchEntry creates a completed empty file, with its parents.
func TouchEntry(path string) *journalpb.Entry {
	return &journalpb.Entry{TimeMs: 1000, Caller: Superuser, Payload: &journalpb.Entry_CreateFile{
		CreateFile: &journalpb.CreateFileEntry{Path: path, Mode: 0o644, Recursive: true, Completed: true},
	}}
}

// RenameEntry moves src to dst.
func RenameEntry(src, dst string) *journalpb.Entry {
	return &journalpb.Entry{TimeMs: 1000, Caller: Superuser, Payload: &journalpb.Entry_Rename{
		Rename: &journalpb.RenameEntry{Src: src, Dst: dst},
	}}
}

// DeleteEntry removes path recursively.
func DeleteEntry(path string) *journalpb.Entry {
	return &journalpb.Entry{TimeMs: 1000, Caller: Superuser, Payload: &journalpb.Entry_Delete{
		Delete: &journalpb.DeleteEntry{Path: path, Recursive: true},
	}}
}

// SomeMutations is one round of every common kind of mutation, under a
// folder of its own per round.
func SomeMutations(round int) []*journalpb.Entry {
	d := fmt.Sprintf("/r%d", round)
	return []*journalpb.Entry{
		MkdirEntry(d + "/a/b"),
		TouchEntry(d + "/a/b/f1"),
		TouchEntry(d + "/a/f2"),
		RenameEntry(d+"/a/f2", d+"/f3"),
		DeleteEntry(d + "/a/b"),
		TouchEntry(d + "/a/f4"),
	}
}

// CheckpointBytes returns f's checkpoint: equal states give equal bytes.
func CheckpointBytes(t testing.TB, f *fsm.FSM) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := f.WriteCheckpoint(&buf); err != nil {
		t.Fatalf("WriteCheckpoint: %v", err)
	}
	return buf.Bytes()
}

// WantCode fails the test unless err carries code.
func WantCode(t testing.TB, what string, err error, code fserr.Code) {
	t.Helper()
	if got := fserr.CodeOf(err); got != code {
		t.Fatalf("%s: error %v (code %v), want code %v", what, err, got, code)
	}
}

// FormatJournal returns a freshly formatted local journal folder.
func FormatJournal(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := journal.Format(dir, "test-cluster"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// BlockApplies holds the namespace's read lock until release is called, so
// the committer stops in Apply after its batch is durable; proposals made
// meanwhile queue up. It holds the lock the way a checkpoint does, writing
// to a writer that waits.
func BlockApplies(t *testing.T, f *fsm.FSM) (release func()) {
	t.Helper()
	w := &waitingWriter{held: make(chan struct{}), unblock: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := f.WriteCheckpoint(w); err != nil {
			t.Errorf("WriteCheckpoint: %v", err)
		}
	}()
	<-w.held
	var once sync.Once
	return func() {
		once.Do(func() { close(w.unblock); <-done })
	}
}

// waitingWriter's first Write says so on held and waits for unblock.
type waitingWriter struct {
	held, unblock chan struct{}
	wrote         bool
}

func (w *waitingWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.wrote = true
		close(w.held)
		<-w.unblock
	}
	return len(p), nil
}

// LockedBuffer collects log output from several goroutines.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger keeps a component's log and prints it only when the test fails.
func Logger(t testing.TB, name string) hclog.Logger {
	buf := &LockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() && buf.String() != "" {
			t.Logf("log of %s:\n%s", name, buf.String())
		}
	})
	return hclog.New(&hclog.LoggerOptions{Name: name, Output: buf, Level: hclog.Debug})
}

// Exists says whether f's namespace holds path.
func Exists(f *fsm.FSM, path string) bool {
	_, err := f.GetStatus(&journalpb.Caller{User: "root", Superuser: true}, path)
	return err == nil
}

// FreeAddrs returns n distinct free loopback addresses (see
// internal/ports: no other test process hands them out).
func FreeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		p, err := ports.Free("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}
	return out
}

// AwaitNamedLeader waits until exactly one of members leads and its
// namespace fsms[i] has been given a cluster id (a Raft leader proposes it
// right after it starts serving; waiting for it keeps later applied-index
// comparisons stable), and returns the leader.
func AwaitNamedLeader(t testing.TB, members []ha.Replicator, fsms []*fsm.FSM) int {
	t.Helper()
	leader := -1
	poll.Until(t, 20*time.Second, "a serving leader of a named cluster", func() bool {
		leader = -1
		for i, m := range members {
			if m.Status().Leader {
				if leader >= 0 {
					return false
				}
				leader = i
			}
		}
		return leader >= 0 && fsms[leader].ClusterID() != ""
	})
	return leader
}
