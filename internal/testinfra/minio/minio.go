// Package minio runs a real MinIO server for tests, through the project's
// scripts/minio.sh, which builds MinIO once into a cache and serves a
// temporary folder on a free loopback port.
package minio

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// Root credentials of every test server; the servers listen on loopback.
const (
	AccessKey = "halo-test"
	SecretKey = "halo-test-secret"
)

// consolePort is the port MinIO keeps for its console even with the
// browser off (scripts/minio.sh turns it off), and on which it refuses to
// serve the API: "--console-address port cannot be same as --address
// port".
const consolePort = 13333

// apiPort returns the first port free hands out that MinIO will serve on.
func apiPort(free func() (int, error)) (int, error) {
	for range 3 {
		p, err := free()
		if err != nil || p != consolePort {
			return p, err
		}
	}
	return 0, fmt.Errorf("port %d, which MinIO keeps for its console, was handed out again and again", consolePort)
}

// Server is a running MinIO.
type Server struct {
	// Endpoint is "http://127.0.0.1:<port>".
	Endpoint string
	*proc.Service
}

// Start builds MinIO if the cache lacks it, and starts a server with its
// data under dir.
func Start(dir string) (*Server, error) {
	port, err := apiPort(func() (int, error) { return ports.Free("127.0.0.1") })
	if err != nil {
		return nil, errors.Join(errors.New("find a free port"), err)
	}
	svc, err := proc.StartService(proc.ServiceSpec{
		Name:   "MinIO",
		Script: proc.Script("minio.sh"),
		Args:   []string{"--dir", filepath.Join(dir, "data"), "--port", strconv.Itoa(port)},
		Env:    []string{"MINIO_ROOT_USER=" + AccessKey, "MINIO_ROOT_PASSWORD=" + SecretKey},
		Log:    filepath.Join(dir, "minio.log"),
		// A cold build compiles MinIO (minutes on two cores); a start
		// from a built binary takes seconds.
		BuildTimeout: 25 * time.Minute, StartTimeout: 90 * time.Second, StopTimeout: 15 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	return &Server{Endpoint: svc.URL, Service: svc}, nil
}

// StartT starts a server for one test, stops it when the test ends, and
// fails the test if it cannot start.
func StartT(t testing.TB) *Server { return proc.ForTest(t, "MinIO (scripts/minio.sh)", Start) }

// StartBucket is StartT with an empty bucket called bucket.
func StartBucket(t testing.TB, bucket string) *Server {
	t.Helper()
	s := StartT(t)
	if err := s.MakeBucket(t.Context(), bucket); err != nil {
		t.Fatalf("make the bucket %s on MinIO: %v", bucket, err)
	}
	return s
}

// Options returns the UFS options that reach this server with the root
// credentials.
func (s *Server) Options() map[string]string {
	return map[string]string{
		"alluxio.underfs.s3.endpoint":            s.Endpoint,
		"alluxio.underfs.s3.disable.dns.buckets": "true",
		"alluxio.underfs.s3.secure.http.enabled": "false",
		"aws.accessKeyId":                        AccessKey,
		"aws.secretKey":                          SecretKey,
	}
}

// MakeBucket creates a bucket.
func (s *Server) MakeBucket(ctx context.Context, name string) error {
	client, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""),
	})
	if err != nil {
		return err
	}
	return client.MakeBucket(ctx, name, minio.MakeBucketOptions{})
}
