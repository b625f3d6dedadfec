package hdfs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	minicluster "github.com/halo-fs/halo/internal/testinfra/hdfs"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/ufstest"
)

// server is the MiniDFSCluster every test in the package shares; each test
// works in its own directory.
var server *minicluster.Server

func TestMain(m *testing.M) {
	proc.ForPackage(m, "a MiniDFSCluster (scripts/hdfs.sh)", minicluster.Start, func(s *minicluster.Server) error {
		server = s
		return nil
	})
}

var dirs atomic.Int64

func newStore(t testing.TB) *Store {
	t.Helper()
	uri := fmt.Sprintf("%s/t%05d", server.URI, dirs.Add(1))
	root, err := ufs.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), root, nil)
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	return s.(*Store)
}

func TestConformance(t *testing.T) {
	ufstest.RunConformance(t, func(t *testing.T) ufs.Store { return newStore(t) })
}

// TestTempFilesAreHidden: a write in progress leaves a temporary file that
// List and Walk skip and that no path may name.
func TestTempFilesAreHidden(t *testing.T) {
	s := newStore(t)
	defer s.Close()
	w, err := s.Create(t.Context(), "d/f", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	infos, err := s.client.ReadDir(s.full("d"))
	if err != nil || len(infos) != 1 || !isTempName(infos[0].Name()) {
		t.Fatalf("raw listing of d = %v, %v; want one temporary file", infos, err)
	}
	if got, err := s.List(t.Context(), "d"); err != nil || len(got) != 0 {
		t.Fatalf("list d = %v, %v; want nothing", got, err)
	}
	_, err = s.Stat(t.Context(), "d/"+infos[0].Name())
	if !errors.Is(err, ufs.ErrInvalidPath) {
		t.Fatalf("stat of the temporary file: %v, want %v", err, ufs.ErrInvalidPath)
	}
}

// TestOpenFailsClearly: a name node that is not there fails Open at once.
func TestOpenFailsClearly(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := closed.Addr().String()
	closed.Close()
	root, _ := ufs.ParseURI("hdfs://" + addr + "/x")
	if s, err := Open(t.Context(), root, nil); err == nil {
		s.Close()
		t.Fatal("open of an unreachable name node succeeded")
	} else {
		t.Logf("open: %v", err)
	}
}

func TestConfigFromOptions(t *testing.T) {
	dir := t.TempDir()
	core := filepath.Join(dir, "core-site.xml")
	hdfsSite := filepath.Join(dir, "hdfs-site.xml")
	write := func(path, body string) {
		if err := os.WriteFile(path, []byte("<configuration>"+body+"</configuration>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prop := func(k, v string) string { return "<property><name>" + k + "</name><value>" + v + "</value></property>" }
	write(core, prop("fs.defaultFS", "hdfs://nn1.example:9000")+prop("ipc.client.connect.timeout", "1500"))
	write(hdfsSite, prop("dfs.ha.namenodes.cluster", "a,b")+
		prop("dfs.namenode.rpc-address.cluster.a", "h1:8020")+prop("dfs.namenode.rpc-address.cluster.b", "h2:8020"))
	files := map[string]string{KeyConfiguration: core + ":" + hdfsSite, KeyUser: "halo"}
	t.Setenv("HADOOP_USER_NAME", "from-env")

	for _, tc := range []struct {
		uri     string
		options map[string]string
		want    []string
		user    string
	}{
		{"hdfs:///journal", files, []string{"nn1.example:9000"}, "halo"},
		{"hdfs://cluster/journal", files, []string{"h1:8020", "h2:8020"}, "halo"},
		{"hdfs://nn:9000/journal", nil, []string{"nn:9000"}, "from-env"},
		{"hdfs://nn/journal", nil, []string{"nn:8020"}, "from-env"},
	} {
		root, err := ufs.ParseURI(tc.uri)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ConfigFromOptions(root, tc.options)
		if err != nil {
			t.Fatalf("%s: %v", tc.uri, err)
		}
		if fmt.Sprint(c.Addresses) != fmt.Sprint(tc.want) || c.User != tc.user {
			t.Errorf("%s: addresses %v user %q, want %v %q", tc.uri, c.Addresses, c.User, tc.want, tc.user)
		}
	}
	c, _ := ConfigFromOptions(ufs.URI{Scheme: "hdfs", Path: "/"}, files)
	if c.ConnectTimeout.Milliseconds() != 1500 {
		t.Errorf("connect timeout %v, want 1.5s from ipc.client.connect.timeout", c.ConnectTimeout)
	}
	if _, err := ConfigFromOptions(ufs.URI{Scheme: "hdfs", Path: "/"}, nil); err == nil {
		t.Error("no authority and no fs.defaultFS: no error")
	}
	write(core, prop("hadoop.security.authentication", "kerberos"))
	if _, err := ConfigFromOptions(ufs.URI{Scheme: "hdfs", Authority: "nn", Path: "/"}, files); !errors.Is(err, ufs.ErrUnsupported) {
		t.Errorf("kerberos: %v, want %v", err, ufs.ErrUnsupported)
	}
	if _, err := ConfigFromOptions(ufs.URI{Scheme: "hdfs", Authority: "nn", Path: "/"}, map[string]string{KeyConfiguration: "/no/such/file.xml"}); err == nil {
		t.Error("missing configuration file: no error")
	}
}

// BenchmarkLargeObject writes and reads one 1 GiB file through the store
// and reports the throughput of each (run with -benchtime=1x).
func BenchmarkLargeObject(b *testing.B) {
	s := newStore(b)
	defer s.Close()
	ufstest.BenchmarkLargeFile(b, s, 1<<30)
}

// BenchmarkSmallFiles measures one 4 KiB no-overwrite create at a time.
func BenchmarkSmallFiles(b *testing.B) {
	s := newStore(b)
	defer s.Close()
	ufstest.BenchmarkSmallFiles(b, s, 4<<10)
}
