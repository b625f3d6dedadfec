package alluxio

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// loopback is where the master listens and where its clients look.
const loopback = "127.0.0.1"

const (
	// masterStartTimeout bounds the wait for a new master to serve (about
	// two seconds on an idle machine).
	masterStartTimeout = 2 * time.Minute
	// masterStopGrace is how long a stopped master may take to exit
	// before it is killed.
	masterStopGrace = 20 * time.Second
)

// Master is a real Alluxio 2.9.3 master: one process, primary at once,
// with a UFS journal (or, given alluxio.master.journal.type=EMBEDDED, an
// embedded journal of one member) and its root UFS in local folders.
type Master struct {
	// RPCPort and WebPort are its ports on 127.0.0.1, JournalPort its
	// embedded journal's (bound only with an embedded journal).
	RPCPort, WebPort, JournalPort int
	// Dir holds everything it writes: Journal, the root UFS (UFS),
	// Backups, its home and logs.
	Dir, Journal, UFS, Backups string
	process                    *proc.Process
}

// Address is the master's RPC address, host:port.
func (m *Master) Address() string { return net.JoinHostPort(loopback, strconv.Itoa(m.RPCPort)) }

// JournalAddress is the master's embedded journal address, host:port.
func (m *Master) JournalAddress() string {
	return net.JoinHostPort(loopback, strconv.Itoa(m.JournalPort))
}

// ClientConf is the configuration a client needs to find the master.
func (m *Master) ClientConf() map[string]string { return ClientConf(m.Address()) }

// ClientConf is the configuration a client needs to find the primary
// among masters at addresses (host:port). One address must be given as
// alluxio.master.hostname and .rpc.port: a list of one in
// alluxio.master.rpc.addresses leaves the client with "Unable to
// determine master address", since it polls the list only when it has
// more than one.
func ClientConf(addresses ...string) map[string]string {
	if len(addresses) == 1 {
		if host, port, err := net.SplitHostPort(addresses[0]); err == nil {
			return map[string]string{"alluxio.master.hostname": host, "alluxio.master.rpc.port": port}
		}
	}
	return map[string]string{"alluxio.master.rpc.addresses": strings.Join(addresses, ",")}
}

// Log is the master's log4j log.
func (m *Master) Log() string { return filepath.Join(m.Dir, "logs", "alluxio.log") }

// Process is the master's process, for a test that kills or pauses it.
func (m *Master) Process() *proc.Process { return m.process }

// Stop stops the master (SIGTERM, then SIGKILL after a grace period).
func (m *Master) Stop() { m.process.Stop(masterStopGrace) }

// masterConf is the master's configuration before the caller's: loopback
// only, a fresh UFS journal, the metadata on the heap, and nothing that
// reaches beyond this machine or waits on an absent component.
func masterConf(m *Master) map[string]string {
	return map[string]string{
		"alluxio.master.hostname":                   loopback,
		"alluxio.master.bind.host":                  loopback,
		"alluxio.master.web.bind.host":              loopback,
		"alluxio.master.rpc.port":                   strconv.Itoa(m.RPCPort),
		"alluxio.master.web.port":                   strconv.Itoa(m.WebPort),
		"alluxio.master.journal.type":               "UFS",
		"alluxio.master.journal.folder":             m.Journal,
		"alluxio.master.embedded.journal.port":      strconv.Itoa(m.JournalPort),
		"alluxio.master.embedded.journal.addresses": m.JournalAddress(),
		// Alluxio hands Ratis the port alone, and Ratis binds it on every
		// interface unless told the host.
		"alluxio.master.embedded.journal.ratis.config.raft.grpc.server.host": loopback,
		"alluxio.master.mount.table.root.ufs":                                m.UFS,
		"alluxio.master.backup.directory":                                    m.Backups,
		"alluxio.master.metastore":                                           "HEAP",
		"alluxio.work.dir":                                                   m.Dir,
		// A single master with no workers: no wait for workers in safe
		// mode, and no quiet period before the journal's promotion (it
		// waits for a primary's last writes, and there is none).
		"alluxio.master.worker.connect.wait.time":                "0ms",
		"alluxio.master.journal.tailer.shutdown.quiet.wait.time": "0ms",
		// The update check asks the Internet for the latest release and
		// cloud metadata services (169.254.169.254) what host this is.
		"alluxio.master.update.check.enabled": "false",
		// A file written ASYNC_THROUGH (the shell's touch) is handed to
		// the job service to persist; with no job master, the scheduler
		// retries it for two minutes, holding the lock a backup waits
		// for. Its first run comes an hour after a change.
		"alluxio.master.persistence.scheduler.interval": "1h",
	}
}

// StartMasterIn formats a journal and starts a master with its files under
// dir; conf adds to or overrides its configuration (for instance
// alluxio.master.journal.type=EMBEDDED). It returns once the
// master answers as primary.
func StartMasterIn(dir string, conf map[string]string) (*Master, error) {
	p, err := Find()
	if err != nil {
		return nil, err
	}
	m := &Master{
		Dir:     dir,
		Journal: filepath.Join(dir, "journal"),
		UFS:     filepath.Join(dir, "ufs"),
		Backups: filepath.Join(dir, "backups"),
	}
	for _, port := range []*int{&m.RPCPort, &m.WebPort, &m.JournalPort} {
		if *port, err = ports.Free(loopback); err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
	}
	for _, d := range []string{m.Journal, m.UFS, m.Backups} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	all := masterConf(m)
	maps.Copy(all, conf)

	format, err := p.Run(Command{Main: formatJournal, Conf: all, Args: []string{"master"}, Dir: dir, Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	if format.ExitCode != 0 {
		return nil, fmt.Errorf("format the Alluxio master's journal: %v", format)
	}
	cmd, _, err := p.command(masterMain, all, dir)
	if err != nil {
		return nil, err
	}
	m.process = proc.New("alluxio-master", proc.Local{}, filepath.Join(dir, "master.out"), cmd.Args...)
	if err := m.process.Start(); err != nil {
		return nil, err
	}
	if err := m.waitPrimary(masterStartTimeout); err != nil {
		m.Stop()
		return nil, fmt.Errorf("the Alluxio master did not serve: %w\n%s\nlog %s", err, proc.Tail(m.process.Log(), 30), m.Log())
	}
	return m, nil
}

// StartMaster starts a master for one test, in a folder kept if the test
// fails, and stops it when the test ends; conf adds to or overrides its
// configuration. The test fails if the master cannot be had.
func StartMaster(t testing.TB, conf map[string]string) *Master {
	t.Helper()
	return proc.ForTest(t, "a real Alluxio "+Version+" master", func(dir string) (*Master, error) {
		return StartMasterIn(dir, conf)
	})
}

// waitPrimary polls the master the way Alluxio's client looks for the
// primary (getServiceVersion of the meta master service, unauthenticated)
// until it answers, the process exits or the timeout passes.
func (m *Master) waitPrimary(timeout time.Duration) error {
	conn, err := grpc.NewClient(m.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	versions := alluxiopb.NewServiceVersionClientServiceClient(conn)
	serviceType := alluxiopb.ServiceType_META_MASTER_CLIENT_SERVICE
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, last = versions.GetServiceVersion(ctx, &alluxiopb.GetServiceVersionPRequest{ServiceType: &serviceType})
		cancel()
		if last == nil {
			return nil
		}
		if m.process.WaitExit(200 * time.Millisecond) {
			return errors.New("the master exited")
		}
	}
	return fmt.Errorf("no answer within %v: %w", timeout, last)
}
