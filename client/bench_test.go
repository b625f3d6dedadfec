package client_test

import (
	"context"
	"fmt"
	"os/user"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// BenchmarkClient measures the client's per-call cost against one master
// in the test's process (local journal): its protocol, authentication and
// translations, not replication.
//
//	go test -run '^$' -bench Client -benchtime 5s ./client/
func BenchmarkClient(b *testing.B) {
	m := masters.NewMaster(b, "m1", "127.0.0.1")
	m.InProcess = true
	m.Format()
	m.Start()
	m.WaitReady(30 * time.Second)
	u, err := user.Current()
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.New(client.Options{Addresses: []string{m.RPCAddress()}, User: u.Username, Secret: masters.Secret()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.CreateDirectory(ctx, "/bench", client.CreateDirectoryOptions{}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.Run("GetStatus", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.GetStatus(ctx, "/bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("CreateFile", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.CreateFile(ctx, fmt.Sprintf("/bench/f%d", n.Add(1)), client.CreateFileOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
