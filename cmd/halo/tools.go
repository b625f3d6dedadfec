package main

import (
	"context"
	"math"
	"net"
	"strconv"

	"github.com/halo-fs/halo/bench"
	"github.com/halo-fs/halo/cli"
	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/ha/zookeeper"
	"github.com/halo-fs/halo/master/boot"
	"github.com/spf13/cobra"
)

// clientOptions builds client options from the deployment's configuration:
// the master list (alluxio.master.rpc.addresses, else derived), the login
// user and Alluxio's retry settings.
func clientOptions(cfg *conf.Config, g *globals) client.Options {
	addrs := cfg.RPCAddresses
	if len(addrs) == 0 {
		addrs = []string{net.JoinHostPort(cfg.Hostname, strconv.Itoa(cfg.RPCPort))}
	}
	return client.Options{
		Addresses:        addrs,
		User:             cfg.LoginUser,
		RetryBaseSleep:   cfg.ClientRetryBaseSleep,
		RetryMaxSleep:    cfg.ClientRetryMaxSleep,
		RetryMaxDuration: cfg.ClientRetryMaxDuration,
		Logger:           g.logger("client"),
		MetadataLoadType: cfg.ClientMetadataLoadType,
	}
}

// toolEnv loads the configuration lazily, when a command runs, so that
// flags parsed by cobra are in effect.
func toolEnv(g *globals, cmd func() *cobra.Command) *cli.Env {
	env := &cli.Env{}
	env.Dial = func(ctx context.Context) (*client.Client, error) {
		cfg, err := g.load()
		if err != nil {
			return nil, err
		}
		fillEnv(env, cfg)
		opts := clientOptions(cfg, g)
		sec, err := boot.LoadSecurity(cfg)
		if err != nil {
			return nil, err
		}
		sec.ClientOptions(&opts)
		if cfg.HA == conf.HAZooKeeper {
			// As Alluxio's clients do in ZooKeeper mode: the leader is the
			// newest child of the leader znode.
			opts.Finder = zookeeper.NewZNodeFinder(cfg.ZooKeeperAddresses, cfg.ZooKeeperLeaderPath, cfg.ZooKeeperSessionTimeout)
		}
		return client.New(opts)
	}
	return env
}

func fillEnv(env *cli.Env, cfg *conf.Config) {
	env.MasterAddresses = cfg.RPCAddresses
	if len(env.MasterAddresses) == 0 {
		env.MasterAddresses = []string{cfg.RPCAddress()}
	}
	env.HAMode = cfg.HA
	env.ZooKeeperAddresses = cfg.ZooKeeperAddresses
	env.RaftAddresses = cfg.EmbeddedJournalAddresses
	env.HidePermissions = cfg.AuthenticationType == "NOSASL" || !cfg.PermissionEnabled
	env.Authentication, env.SecretFile, env.WebPort = cfg.AuthenticationType, cfg.AuthSecretFile, cfg.WebPort
	env.WriteType, env.ReadType = client.WriteType(cfg.ClientWriteType), client.ReadType(cfg.ClientReadType)
	env.BlockSize = int64(min(cfg.ClientBlockSize, math.MaxInt64))
	env.NoShortCircuit = !cfg.ClientShortCircuit
}

func newFSCommand(g *globals) *cobra.Command {
	cmd := cli.NewFSCommand(toolEnv(g, nil))
	return cmd
}

func newFSAdminCommand(g *globals) *cobra.Command {
	return cli.NewFSAdminCommand(toolEnv(g, nil))
}

func newRunTestsCommand(g *globals) *cobra.Command {
	return cli.NewRunTestsCommand(toolEnv(g, nil))
}

func newBenchCommand(g *globals) *cobra.Command {
	env := toolEnv(g, nil)
	// The cold reads' baseline opens the UFS with the site's properties
	// (credentials, endpoints), as the root mount does.
	ufsOptions := func() map[string]string {
		cfg, err := g.load()
		if err != nil {
			return nil
		}
		return cfg.Properties
	}
	return bench.NewCommand(env.Dial, ufsOptions, nil)
}
