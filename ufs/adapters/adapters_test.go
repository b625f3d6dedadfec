package adapters

import (
	"errors"
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

func TestOpenUnregisteredSchemes(t *testing.T) {
	for uri, wantInMessage := range map[string]string{
		"s3://bucket/halo":       `"s3" needs the S3 adapter`,
		"s3a://bucket/halo":      `"s3a" needs the S3 adapter`,
		"hdfs://nn:8020/journal": `"hdfs" needs the HDFS adapter`,
		"ftp://host/x":           `unknown scheme "ftp" (registered: file)`,
	} {
		_, err := Open(t.Context(), uri, nil)
		if !errors.Is(err, ufs.ErrUnsupported) || !strings.Contains(err.Error(), wantInMessage) {
			t.Errorf("Open(%q) = %v; want %v saying %s", uri, err, ufs.ErrUnsupported, wantInMessage)
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
