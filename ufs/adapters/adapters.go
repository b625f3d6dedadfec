// Package adapters wires every UFS adapter built into Halo into a
// ufs.Registry. It is the one place that lists them: file (local), s3 and
// s3a (S3 and S3-compatible stores), hdfs.
package adapters

import (
	"context"

	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/hdfs"
	"github.com/halo-fs/halo/ufs/local"
	"github.com/halo-fs/halo/ufs/s3"
)

// NewRegistry returns a registry holding every built-in adapter.
func NewRegistry() *ufs.Registry {
	r := ufs.NewRegistry()
	r.Register("file", local.Open)
	r.Register("s3", s3.Open)
	r.Register("s3a", s3.Open)
	r.Register("hdfs", hdfs.Open)
	return r
}

// Open opens the store at uri with the built-in adapters: a plain absolute
// path or a file URI opens a local store.
func Open(ctx context.Context, uri string, options map[string]string) (ufs.Store, error) {
	return NewRegistry().Open(ctx, uri, options)
}
