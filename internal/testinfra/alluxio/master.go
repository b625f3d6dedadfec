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

	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// loopback is the address the programs other than the master name
// themselves by.
const loopback = "127.0.0.1"

// The master's ports: Alluxio's defaults, since the namespace it serves
// in is its own.
const (
	masterRPCPort     = 19998
	masterWebPort     = 19999
	masterJournalPort = 19200
)

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
//
// It runs in a network namespace of its own, reached from the test's
// through a veth pair: to name itself in a backup, a master pings the
// non-loopback addresses of every interface it sees
// (NetworkAddressUtils.getLocalIpAddress, which no setting bypasses), and
// there it sees only its own address, with no route beyond the pair.
type Master struct {
	// Host is the address it serves on, in its namespace.
	Host string
	// RPCPort and WebPort are its ports on Host, JournalPort its embedded
	// journal's (bound only with an embedded journal).
	RPCPort, WebPort, JournalPort int
	// Dir holds everything it writes: Journal, the root UFS (UFS),
	// Backups, its home and logs.
	Dir, Journal, UFS, Backups string
	netns                      *netns.Private
	process                    *proc.Process
}

// Address is the master's RPC address, host:port.
func (m *Master) Address() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.RPCPort)) }

// JournalAddress is the master's embedded journal address, host:port.
func (m *Master) JournalAddress() string {
	return net.JoinHostPort(m.Host, strconv.Itoa(m.JournalPort))
}

// PeerHost is the test's address on the pair that joins it to the
// master's namespace: where the master's connections from the test's
// side come from.
func (m *Master) PeerHost() string { return m.netns.PeerIP }

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

// Stop stops the master (SIGTERM, then SIGKILL after a grace period) and
// removes its namespace; it cannot start again.
func (m *Master) Stop() {
	if m.process != nil {
		m.process.Stop(masterStopGrace)
	}
	if m.netns != nil {
		m.netns.Close()
	}
}

// masterConf is the master's configuration before the caller's: its own
// address only, a fresh UFS journal, the metadata on the heap, and
// nothing that reaches beyond this machine or waits on an absent
// component.
func masterConf(m *Master) map[string]string {
	return map[string]string{
		"alluxio.master.hostname":                   m.Host,
		"alluxio.master.bind.host":                  m.Host,
		"alluxio.master.web.bind.host":              m.Host,
		"alluxio.master.rpc.port":                   strconv.Itoa(m.RPCPort),
		"alluxio.master.web.port":                   strconv.Itoa(m.WebPort),
		"alluxio.master.journal.type":               "UFS",
		"alluxio.master.journal.folder":             m.Journal,
		"alluxio.master.embedded.journal.port":      strconv.Itoa(m.JournalPort),
		"alluxio.master.embedded.journal.addresses": m.JournalAddress(),
		// Alluxio hands Ratis the port alone, and Ratis binds it on every
		// interface unless told the host.
		"alluxio.master.embedded.journal.ratis.config.raft.grpc.server.host": m.Host,
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

// StartMasterIn formats a journal and starts a master in a new network
// namespace with its files under dir; conf adds to or overrides its
// configuration (for instance alluxio.master.journal.type=EMBEDDED). It
// returns once the master answers as primary.
func StartMasterIn(dir string, conf map[string]string) (*Master, error) {
	p, err := Find()
	if err != nil {
		return nil, err
	}
	ns, err := netns.NewPrivate()
	if err != nil {
		return nil, fmt.Errorf("the Alluxio master's network namespace: %w", err)
	}
	m := &Master{
		Host:        ns.IP,
		RPCPort:     masterRPCPort,
		WebPort:     masterWebPort,
		JournalPort: masterJournalPort,
		Dir:         dir,
		Journal:     filepath.Join(dir, "journal"),
		UFS:         filepath.Join(dir, "ufs"),
		Backups:     filepath.Join(dir, "backups"),
		netns:       ns,
	}
	if err := m.start(p, conf); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

func (m *Master) start(p *Programs, conf map[string]string) error {
	if err := m.launch(p, conf, m.netns); err != nil {
		return err
	}
	if err := m.waitPrimary(masterStartTimeout); err != nil {
		return fmt.Errorf("the Alluxio master did not serve: %w\n%s\nlog %s", err, proc.Tail(m.process.Log(), 30), m.Log())
	}
	return nil
}

// launch formats the master's journal and starts its process in place,
// without waiting for it to serve.
func (m *Master) launch(p *Programs, conf map[string]string, place proc.Place) error {
	for _, d := range []string{m.Journal, m.UFS, m.Backups} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	all := masterConf(m)
	maps.Copy(all, conf)

	format, err := p.Run(Command{Main: formatJournal, Conf: all, Args: []string{"master"}, Dir: m.Dir, Timeout: time.Minute})
	if err != nil {
		return err
	}
	if format.ExitCode != 0 {
		return fmt.Errorf("format the Alluxio master's journal: %v", format)
	}
	cmd, _, err := p.command(masterMain, all, m.Dir, m.Host)
	if err != nil {
		return err
	}
	m.process = proc.New("alluxio-master", place, filepath.Join(m.Dir, "master.out"), cmd.Args...)
	return m.process.Start()
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
	return waitFor(m.process, timeout, "the master exited", "no answer", m.servesClients)
}

// servesClients is nil when the master answers a client's first call,
// which only a primary does.
func (m *Master) servesClients() error {
	conn, err := grpc.NewClient(m.Address(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	versions := alluxiopb.NewServiceVersionClientServiceClient(conn)
	serviceType := alluxiopb.ServiceType_META_MASTER_CLIENT_SERVICE
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = versions.GetServiceVersion(ctx, &alluxiopb.GetServiceVersionPRequest{ServiceType: &serviceType})
	return err
}

// waitFor calls probe until it succeeds, process exits (exited is then
// the error) or the timeout passes (the error is none, with the last
// probe's error).
func waitFor(process *proc.Process, timeout time.Duration, exited, none string, probe func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = probe(); last == nil {
			return nil
		}
		if process.WaitExit(200 * time.Millisecond) {
			return errors.New(exited)
		}
	}
	return fmt.Errorf("%s within %v: %w", none, timeout, last)
}
