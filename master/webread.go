package master

import (
	"context"
	"io"

	"github.com/halo-fs/halo/client"
)

// ReadFileRange reads up to length bytes from offset of the complete
// file at path, for the web UI's file page: through the data path, as a
// client of the cluster authenticated as this master's own user (the
// superuser), and with NO_CACHE, so that looking at a file changes
// nothing that is cached.
func (m *Master) ReadFileRange(ctx context.Context, path string, offset, length int64) ([]byte, error) {
	c, err := client.New(m.webClientOptions())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	f, err := c.Open(ctx, path, client.OpenOptions{ReadType: client.NoCache})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, length)
	n, err := f.ReadAt(buf, offset)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return buf[:n], nil
}

// webClientOptions are those of a client as this master's peers reach
// it: the peer dial options carry the client side of TLS and the secret's
// proof, which the RPC port and the workers check.
func (m *Master) webClientOptions() client.Options {
	addrs := []string{m.RPCAddr()}
	if leader := m.Info().LeaderAddress; leader != "" && leader != addrs[0] {
		addrs = append(addrs, leader)
	}
	return client.Options{
		Addresses:      addrs,
		User:           m.cfg.SuperUser,
		Authentication: string(m.cfg.Authentication),
		Secret:         m.cfg.Secret,
		DialOptions:    m.cfg.PeerDialOptions,
		Logger:         m.cfg.Logger,
	}
}
