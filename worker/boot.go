package worker

import (
	"errors"
	"fmt"
	"os"

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

// Format clears the worker's store and forgets its identity (halo
// formatWorker), refusing while a worker runs with them.
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
			if err := clearDir(d.Path); err != nil {
				errs = append(errs, fmt.Errorf("%s tier folder %s: %w", tier.Alias, d.Path, err))
				continue
			}
			cleared = append(cleared, d.Path)
		}
	}
	return cleared, errors.Join(errs...)
}

// clearDir deletes what the folder holds but not the folder, which may
// be a mount point (a ramdisk).
func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(dir + "/" + e.Name()); err != nil {
			return err
		}
	}
	return nil
}
