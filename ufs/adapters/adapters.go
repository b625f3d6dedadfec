// Package adapters wires every UFS adapter built into Halo into a
// ufs.Registry. It is the one place that lists them: the S3 and HDFS
// adapters join here when they are written.
package adapters

import (
	"context"

	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"
)

// NewRegistry returns a registry holding every built-in adapter.
func NewRegistry() *ufs.Registry {
	r := ufs.NewRegistry()
	r.Register("file", local.Open)
	return r
}

// Open opens the store at uri with the built-in adapters: a plain absolute
// path or a file URI opens a local store.
func Open(ctx context.Context, uri string, options map[string]string) (ufs.Store, error) {
	return NewRegistry().Open(ctx, uri, options)
}
