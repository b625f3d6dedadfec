package ufs

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fakeStore is enough of a Store to be returned by an Opener; the registry
// calls none of its methods.
type fakeStore struct {
	Store
	root URI
}

func TestRegistryDispatchesByScheme(t *testing.T) {
	r := NewRegistry()
	var gotOptions map[string]string
	r.Register("S3", func(ctx context.Context, root URI, options map[string]string) (Store, error) {
		gotOptions = options
		return fakeStore{root: root}, nil
	})
	r.Register("file", func(ctx context.Context, root URI, options map[string]string) (Store, error) {
		return fakeStore{root: root}, nil
	})
	if got := strings.Join(r.Schemes(), ","); got != "file,s3" {
		t.Fatalf("Schemes() = %q", got)
	}

	options := map[string]string{"aws.accessKeyId": "id"}
	s, err := r.Open(t.Context(), "S3://bucket/prefix/", options)
	if err != nil {
		t.Fatal(err)
	}
	if want := (URI{"s3", "bucket", "/prefix"}); s.(fakeStore).root != want {
		t.Fatalf("opener got %+v, want %+v", s.(fakeStore).root, want)
	}
	if gotOptions["aws.accessKeyId"] != "id" {
		t.Fatalf("options not passed on: %v", gotOptions)
	}

	s, err = r.Open(t.Context(), "/plain/path", nil)
	if err != nil || s.(fakeStore).root != (URI{"file", "", "/plain/path"}) {
		t.Fatalf("plain path: %+v, %v", s, err)
	}
}

func TestRegistryRefuses(t *testing.T) {
	r := NewRegistry()
	_, err := r.Open(t.Context(), "hdfs://nn:8020/x", nil)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "HDFS adapter") {
		t.Fatalf("unregistered hdfs: %v", err)
	}
	_, err = r.Open(t.Context(), "/x", nil)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"file" needs the local adapter`) {
		t.Fatalf("unregistered file: %v", err)
	}
	_, err = r.Open(t.Context(), "gopher://x/y", nil)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `unknown scheme "gopher"`) {
		t.Fatalf("unknown scheme: %v", err)
	}
	if _, err := r.Open(t.Context(), "relative", nil); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("relative: %v", err)
	}

	r.Register("file", func(context.Context, URI, map[string]string) (Store, error) {
		t.Fatal("opener called with a cancelled context")
		return nil, nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.Open(ctx, "/x", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestRegisterPanicsOnMisuse(t *testing.T) {
	open := func(context.Context, URI, map[string]string) (Store, error) { return nil, nil }
	for name, register := range map[string]func(r *Registry){
		"invalid scheme": func(r *Registry) { r.Register("s 3", open) },
		"nil opener":     func(r *Registry) { r.Register("s3", nil) },
		"twice":          func(r *Registry) { r.Register("s3", open); r.Register("S3", open) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			register(NewRegistry())
		}()
	}
}
