package adapters

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/halo-fs/halo/ufs"
)

func TestOpenLocal(t *testing.T) {
	root := t.TempDir()
	for _, uri := range []string{root, "file://" + root, "file:" + root, "file://localhost" + root + "/"} {
		s, err := Open(t.Context(), uri, nil)
		if err != nil {
			t.Fatalf("Open(%q): %v", uri, err)
		}
		if want := "file://" + root; s.URI() != want {
			t.Errorf("Open(%q).URI() = %q, want %q", uri, s.URI(), want)
		}
		if err := ufs.WriteFile(t.Context(), s, "probe", []byte(uri), ufs.CreateOptions{Overwrite: true}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	_, err := Open(t.Context(), "ftp://host/x", nil)
	want := `unknown scheme "ftp" (registered: file, hdfs, s3, s3a)`
	if !errors.Is(err, ufs.ErrUnsupported) || !strings.Contains(err.Error(), want) {
		t.Errorf("Open(ftp://host/x) = %v; want %v saying %s", err, ufs.ErrUnsupported, want)
	}
}

// TestSchemesReachTheirAdapters opens each remote scheme against an
// endpoint that refuses connections: the adapter's own error comes back
// (the adapters' packages test them against real servers).
func TestSchemesReachTheirAdapters(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	s3Options := map[string]string{"alluxio.underfs.s3.endpoint": "http://" + closed, "aws.accessKeyId": "k", "aws.secretKey": "s"}
	for uri, wantPrefix := range map[string]string{
		"s3://bucket/halo":              "s3: s3://bucket/halo",
		"s3a://bucket/halo":             "s3: s3a://bucket/halo",
		"hdfs://" + closed + "/journal": "hdfs: hdfs://" + closed + "/journal",
	} {
		_, err := Open(t.Context(), uri, s3Options)
		if err == nil || errors.Is(err, ufs.ErrUnsupported) || !strings.HasPrefix(err.Error(), wantPrefix) {
			t.Errorf("Open(%q) = %v; want the adapter's error starting %q", uri, err, wantPrefix)
		}
	}
}

func TestOpenInvalid(t *testing.T) {
	for _, uri := range []string{"", "relative/dir", "file://otherhost/x"} {
		if _, err := Open(t.Context(), uri, nil); !errors.Is(err, ufs.ErrInvalidPath) {
			t.Errorf("Open(%q) = %v, want %v", uri, err, ufs.ErrInvalidPath)
		}
	}
}
