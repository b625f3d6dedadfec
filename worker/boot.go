package worker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/master/boot"
	"github.com/halo-fs/halo/worker/blockstore"
)

// ConfigFrom builds a worker's configuration from the deployment's
// properties, the same files and -D options the masters read: the
// worker's host and ports, the masters (alluxio.master.rpc.addresses or
// the embedded journal's hosts, and ZooKeeper's election when enabled),
// heartbeat timing, the store's tiers and the security the masters use.
func ConfigFrom(c *conf.Config) (Config, error) {
	store, err := blockstore.ConfigFrom(c)
	if err != nil {
		return Config{}, err
	}
	sec, err := boot.LoadSecurity(c)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Host: c.WorkerHostname, BindHost: c.WorkerBindHost,
		RPCPort: c.WorkerRPCPort, WebPort: c.WorkerWebPort,
		Masters:           c.RPCAddresses,
		HeartbeatInterval: c.WorkerHeartbeatInterval,
		HeartbeatTimeout:  c.WorkerHeartbeatTimeout,
		User:              c.LoginUser,
		IdentityFile:      c.WorkerIdentityFile,
		LogFile:           c.LogFile("worker"),
		WebRefusal:        sec.WebRefusal(),
		Store:             store,
		DialOptions:       sec.DialOptions(),
		ServerCredentials: sec.ServerCredentials(),
		CheckCaller:       sec.CheckCaller,
	}
	if c.ZooKeeperEnabled {
		cfg.ZooKeeper = &ZooKeeperConfig{Servers: c.ZooKeeperAddresses, ElectionPath: c.ZooKeeperElectionPath, SessionTimeout: c.ZooKeeperSessionTimeout}
	}
	return cfg, nil
}

// storeFolder is the folder the block store keeps in each tier folder
// (worker/blockstore's layout); formatting deletes it and nothing else
// of a tier folder, which may hold other data or be a mount point.
const storeFolder = "halo-blocks"

// Format clears the worker's store and forgets its identity (halo
// formatWorker), refusing while a worker runs with them. It returns the
// folders it cleared.
func Format(c *conf.Config) ([]string, error) {
	if err := ForgetIdentity(c.WorkerIdentityFile); err != nil {
		return nil, err
	}
	store, err := blockstore.ConfigFrom(c)
	if err != nil {
		return nil, err
	}
	var cleared []string
	var errs []error
	for _, tier := range store.Tiers {
		for _, d := range tier.Dirs {
			folder := filepath.Join(d.Path, storeFolder)
			if err := os.RemoveAll(folder); err != nil {
				errs = append(errs, fmt.Errorf("%s tier: %w", tier.Alias, err))
				continue
			}
			cleared = append(cleared, folder)
		}
	}
	return cleared, errors.Join(errs...)
}
