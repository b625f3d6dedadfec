package server

import (
	"bytes"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/hashicorp/go-hclog"
)

// testSuperuser stamps entries that tests propose directly to a replicator.
var testSuperuser = &halopb.Caller{User: "root", Groups: []string{"root"}, Superuser: true}

// mkdirEntry and touchEntry build the entries tests propose most.
func mkdirEntry(path string) *halopb.Entry {
	return &halopb.Entry{TimeMs: 1000, Caller: testSuperuser, Payload: &halopb.Entry_CreateDirectory{
		CreateDirectory: &halopb.CreateDirectoryEntry{Path: path, Mode: 0o755, Recursive: true},
	}}
}

func touchEntry(path string) *halopb.Entry {
	return &halopb.Entry{TimeMs: 1000, Caller: testSuperuser, Payload: &halopb.Entry_CreateFile{
		CreateFile: &halopb.CreateFileEntry{Path: path, Mode: 0o644, Recursive: true, Completed: true},
	}}
}

func renameEntry(src, dst string) *halopb.Entry {
	return &halopb.Entry{TimeMs: 1000, Caller: testSuperuser, Payload: &halopb.Entry_Rename{
		Rename: &halopb.RenameEntry{Src: src, Dst: dst},
	}}
}

func deleteEntry(path string) *halopb.Entry {
	return &halopb.Entry{TimeMs: 1000, Caller: testSuperuser, Payload: &halopb.Entry_Delete{
		Delete: &halopb.DeleteEntry{Path: path, Recursive: true},
	}}
}

// checkpointBytes returns f's checkpoint: equal states give equal bytes.
func checkpointBytes(t testing.TB, f *fsm.FSM) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := f.WriteCheckpoint(&buf); err != nil {
		t.Fatalf("WriteCheckpoint: %v", err)
	}
	return buf.Bytes()
}

// wantCode fails the test unless err carries code.
func wantCode(t testing.TB, what string, err error, code fserr.Code) {
	t.Helper()
	if got := fserr.CodeOf(err); got != code {
		t.Fatalf("%s: error %v (code %v), want code %v", what, err, got, code)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, timeout, what, cond)
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger keeps a component's log and prints it only when the test fails.
func testLogger(t testing.TB, name string) hclog.Logger {
	buf := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() && buf.String() != "" {
			t.Logf("log of %s:\n%s", name, buf.String())
		}
	})
	return hclog.New(&hclog.LoggerOptions{Name: name, Output: buf, Level: hclog.Debug})
}

// freeAddrs returns n distinct free loopback addresses (see
// internal/ports: no other test process hands them out).
func freeAddrs(t testing.TB, n int) []string {
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
