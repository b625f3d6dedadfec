package proc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
)

func TestProcessPauseResumeKillRestart(t *testing.T) {
	log := filepath.Join(t.TempDir(), "sleep.log")
	p := New("sleeper", Local{}, log, "sleep", "60")
	t.Cleanup(p.Kill)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if !p.Running() || p.Pid() == 0 {
		t.Fatalf("started process: running %v, pid %d", p.Running(), p.Pid())
	}
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	if !p.Paused() {
		t.Error("Paused() is false after Pause")
	}
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	if p.Paused() {
		t.Error("Paused() is true after Resume")
	}
	p.Pause()
	p.Kill()
	if p.Running() || p.Paused() || p.Pid() != 0 {
		t.Fatalf("killed process: running %v, paused %v, pid %d", p.Running(), p.Paused(), p.Pid())
	}
	if err := p.Resume(); err == nil {
		t.Error("Resume of a dead process succeeded")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(p.Log(), "==== start "); got != 2 {
		t.Errorf("the log numbers %d starts, want 2:\n%s", got, p.Log())
	}
}

func TestStopKillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "trapped")
	p := New("stubborn", Local{}, filepath.Join(dir, "log"), "bash", "-c", `trap "" TERM; touch `+ready+`; while :; do sleep 1; done`)
	t.Cleanup(p.Kill)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the process to set its trap", func() bool {
		_, err := os.Stat(ready)
		return err == nil
	})
	p.Stop(100 * time.Millisecond)
	if p.Running() {
		t.Fatal("Stop returned with the process still running")
	}
}

func TestWaitExitSeesAProcessEndOnItsOwn(t *testing.T) {
	p := New("quick", Local{}, filepath.Join(t.TempDir(), "log"), "true")
	if !p.WaitExit(time.Millisecond) {
		t.Error("WaitExit of a process never started is false")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if !p.WaitExit(30 * time.Second) {
		t.Fatal("`true` did not exit within 30s")
	}
}

func TestTail(t *testing.T) {
	if got := Tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("Tail = %q, want \"b\\nc\"", got)
	}
	if got := Tail("a", 5); got != "a" {
		t.Errorf("Tail of one line = %q", got)
	}
}
