package masters

import (
	"context"
	"fmt"
	"os"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/master/boot"
	"github.com/hashicorp/go-hclog"
)

// inProcess is a master running in the test's own process: boot.Open's
// Running, served by Wait until stop, as `halo master` serves.
type inProcess struct {
	stop   context.CancelFunc
	exited chan struct{} // closed when Wait returned
	log    *os.File
}

// loadConf reads the master's configuration from Props, as bin/halo
// --conf ConfDir would.
func (m *Master) loadConf() (*conf.Config, error) {
	if err := m.writeConf(); err != nil {
		return nil, err
	}
	return conf.Load(conf.LoadOptions{ConfDir: m.ConfDir})
}

// formatInProcess is `halo format` without the binary.
func (m *Master) formatInProcess() error {
	cfg, err := m.loadConf()
	if err != nil {
		return err
	}
	if _, err := boot.FormatJournal(context.Background(), cfg); err != nil {
		return err
	}
	return boot.MakeRootUFSFolder(cfg)
}

// startInProcess opens the master with boot.Open, logging to the file a
// process would log to, and serves until stopInProcess.
func (m *Master) startInProcess() error {
	if len(m.Args) > 0 {
		return fmt.Errorf("master %s runs in the test's process, which takes no command-line arguments (%v)", m.Name, m.Args)
	}
	cfg, err := m.loadConf()
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(m.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "master", Level: hclog.Info, Output: logFile})
	ctx, stop := context.WithCancel(context.Background())
	running, err := boot.Open(ctx, cfg, log)
	if err != nil {
		stop()
		logFile.Close()
		return err
	}
	ip := &inProcess{stop: stop, exited: make(chan struct{}), log: logFile}
	go func() {
		defer close(ip.exited)
		if err := running.Wait(ctx); err != nil {
			log.Error("master stopped", "error", err)
		}
	}()
	m.embedded = ip
	return nil
}

// stopInProcess stops an in-process master and waits until it closed its
// ports and journal.
func (m *Master) stopInProcess() {
	if m.embedded == nil {
		return
	}
	m.embedded.stop()
	<-m.embedded.exited
	m.embedded.log.Close()
	m.embedded = nil
}

// Running reports whether the master serves: its process runs, or it runs
// in the test's process and has not stopped.
func (m *Master) Running() bool {
	if !m.InProcess {
		return m.Process.Running()
	}
	if m.embedded == nil {
		return false
	}
	select {
	case <-m.embedded.exited:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits for the process to be gone. A master in
// the test's process cannot be killed: such tests need a real one.
func (m *Master) Kill() {
	m.t.Helper()
	if m.InProcess {
		m.t.Fatalf("master %s runs in the test's process: kill it as a real process (leave InProcess unset)", m.Name)
	}
	m.Process.Kill()
}

// release is the test's cleanup: the master stops, however it runs.
func (m *Master) release() {
	if m.InProcess {
		m.stopInProcess()
		return
	}
	m.Process.Kill()
}
