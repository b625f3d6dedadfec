package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/halo-fs/halo/internal/testinfra/minio"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/ufstest"
)

// server is the MinIO every test in the package shares; each test works in
// its own prefix of testBucket.
var server *minio.Server

const testBucket = "halo-test"

func TestMain(m *testing.M) {
	proc.ForPackage(m, "a MinIO server (scripts/minio.sh)", minio.Start, func(s *minio.Server) error {
		server = s
		return s.MakeBucket(context.Background(), testBucket)
	})
}

var prefixes atomic.Int64

// newStore opens a store in a fresh prefix of the test bucket, with options
// over the server's.
func newStore(t testing.TB, extra map[string]string) *Store {
	t.Helper()
	options := server.Options()
	for k, v := range extra {
		options[k] = v
	}
	uri := fmt.Sprintf("s3://%s/t%05d", testBucket, prefixes.Add(1))
	root, err := ufs.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), root, options)
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	return s.(*Store)
}

func TestConformance(t *testing.T) {
	ufstest.RunConformance(t, func(t *testing.T) ufs.Store { return newStore(t, nil) })
}

// TestConformanceAtBucketRoot runs the suite on stores rooted at a whole
// bucket, where keys have no prefix.
func TestConformanceAtBucketRoot(t *testing.T) {
	var n atomic.Int64
	ufstest.RunConformance(t, func(t *testing.T) ufs.Store {
		bucket := fmt.Sprintf("root-%d", n.Add(1))
		if err := server.MakeBucket(t.Context(), bucket); err != nil {
			t.Fatal(err)
		}
		root, _ := ufs.ParseURI("s3a://" + bucket)
		s, err := Open(t.Context(), root, server.Options())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

const smallPart = minPartSize

// TestMultipartCreatorsOneWins races creators whose files span several
// parts, so that the conditional commit is CompleteMultipartUpload, and
// checks that the losers' uploads are aborted.
func TestMultipartCreatorsOneWins(t *testing.T) {
	s := newStore(t, map[string]string{KeyPartSize: strconv.Itoa(smallPart)})
	defer s.Close()
	const writers = 4
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 2*smallPart+1000) }
	ws := make([]ufs.Writer, writers)
	for i := range ws {
		w, err := s.Create(t.Context(), "big", ufs.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		if _, err := w.Write(content(i)); err != nil {
			t.Fatal(err)
		}
		ws[i] = w
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { errs[i] = w.Close() })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both created the file", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, ufs.ErrExists):
			t.Fatalf("writer %d: %v, want success or %v", i, err, ufs.ErrExists)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer won: %v", errs)
	}
	got, err := ufs.ReadFile(t.Context(), s, "big")
	if err != nil || !bytes.Equal(got, content(winner)) {
		t.Fatalf("read back %d bytes, %v; want writer %d's %d bytes", len(got), err, winner, len(content(winner)))
	}
	wantNoUploads(t, s)
}

// TestAbortRemovesUpload checks that Abort and a cancelled context leave no
// multipart upload behind.
func TestAbortRemovesUpload(t *testing.T) {
	s := newStore(t, map[string]string{KeyPartSize: strconv.Itoa(smallPart)})
	defer s.Close()
	w, err := s.Create(t.Context(), "aborted", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 2*smallPart+1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	w, err = s.Create(ctx, "cancelled", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 2*smallPart+1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("close after cancel: %v", err)
	}
	for _, p := range []string{"aborted", "cancelled"} {
		if ok, err := ufs.Exists(t.Context(), s, p); ok || err != nil {
			t.Fatalf("%s exists=%v, %v after it was discarded", p, ok, err)
		}
	}
	wantNoUploads(t, s)
}

func wantNoUploads(t *testing.T, s *Store) {
	t.Helper()
	for upload := range s.client.ListIncompleteUploads(t.Context(), s.bucket, s.prefix, true) {
		if upload.Err != nil {
			t.Fatal(upload.Err)
		}
		t.Errorf("incomplete upload left behind: %s %s", upload.Key, upload.UploadID)
	}
}

// TestOpenFailsClearly: a bad configuration fails at Open, with an error
// that says what is wrong, rather than hanging or failing later.
func TestOpenFailsClearly(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := closed.Addr().String()
	closed.Close()

	for _, tc := range []struct {
		name   string
		uri    string
		change map[string]string
		want   error
	}{
		{"wrong secret", "s3://" + testBucket, map[string]string{KeySecretKey: "wrong"}, fs.ErrPermission},
		{"unknown key", "s3://" + testBucket, map[string]string{KeyAccessKey: "nobody"}, fs.ErrPermission},
		{"missing bucket", "s3://no-such-bucket/x", nil, ufs.ErrNotFound},
		{"unreachable endpoint", "s3://" + testBucket, map[string]string{KeyEndpoint: "http://" + unreachable}, nil},
		{"invalid bucket name", "s3://Bad_Bucket", nil, ufs.ErrInvalidPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			options := server.Options()
			for k, v := range tc.change {
				options[k] = v
			}
			root, err := ufs.ParseURI(tc.uri)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(t.Context(), root, options)
			if err == nil {
				s.Close()
				t.Fatal("open succeeded")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("open: %v, want %v", err, tc.want)
			}
			t.Logf("open: %v", err)
		})
	}
}

func TestConfigFromOptions(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "env-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	for _, tc := range []struct {
		name    string
		options map[string]string
		check   func(Config) bool
		wantErr bool
	}{
		{"AWS defaults", nil, func(c Config) bool {
			return c.Endpoint == "" && c.Secure && c.AccessKey == "env-key" && c.SecretKey == "env-secret" && c.PartSize == 16<<20
		}, false},
		{"endpoint with http", map[string]string{KeyEndpoint: "http://127.0.0.1:9000"}, func(c Config) bool {
			return c.Endpoint == "127.0.0.1:9000" && !c.Secure
		}, false},
		{"endpoint with https", map[string]string{KeyEndpoint: "https://minio.example:9000", KeySecureHTTP: "false"}, func(c Config) bool {
			return c.Endpoint == "minio.example:9000" && c.Secure
		}, false},
		{"bare endpoint follows the secure option", map[string]string{KeyEndpoint: "minio:9000", KeySecureHTTP: "true"}, func(c Config) bool {
			return c.Endpoint == "minio:9000" && c.Secure
		}, false},
		{"bare endpoint defaults to http as in Alluxio", map[string]string{KeyEndpoint: "minio:9000"}, func(c Config) bool {
			return !c.Secure
		}, false},
		{"credentials and path style", map[string]string{KeyAccessKey: "k", KeySecretKey: "s", KeyDisableDNSBuckets: "TRUE", KeyRegion: "eu-west-1"}, func(c Config) bool {
			return c.AccessKey == "k" && c.SecretKey == "s" && c.PathStyle && c.Region == "eu-west-1"
		}, false},
		{"s3a names", map[string]string{"fs.s3a.endpoint": "http://h:1", "fs.s3a.access.key": "a", "fs.s3a.secret.key": "b", "fs.s3a.path.style.access": "true"}, func(c Config) bool {
			return c.Endpoint == "h:1" && c.AccessKey == "a" && c.PathStyle
		}, false},
		{"part size and timeouts", map[string]string{KeyPartSize: "64MB", KeySocketTimeout: "2min", KeyMaxErrorRetry: "5"}, func(c Config) bool {
			return c.PartSize == 64<<20 && c.ResponseTimeout.Minutes() == 2 && c.MaxRetries == 5
		}, false},
		{"part too small", map[string]string{KeyPartSize: "1MB"}, nil, true},
		{"bad boolean", map[string]string{KeyDisableDNSBuckets: "yes"}, nil, true},
		{"endpoint with a path", map[string]string{KeyEndpoint: "http://h:1/path"}, nil, true},
		{"key without secret", map[string]string{KeyAccessKey: "k"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromOptions(tc.options)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.check != nil && !tc.check(c) {
				t.Fatalf("config = %+v", c)
			}
		})
	}
}

// BenchmarkLargeObject writes and reads one 1 GiB object through the store
// and reports the throughput of each (run with -benchtime=1x).
func BenchmarkLargeObject(b *testing.B) {
	const size = 1 << 30
	s := newStore(b, nil)
	defer s.Close()
	ufstest.BenchmarkLargeFile(b, s, size)
}

// BenchmarkSmallFiles measures one 4 KiB no-overwrite create at a time.
func BenchmarkSmallFiles(b *testing.B) {
	s := newStore(b, nil)
	defer s.Close()
	ufstest.BenchmarkSmallFiles(b, s, 4<<10)
}
