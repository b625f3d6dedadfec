package cli

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
)

func (e *Env) cpCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "cp [-R] <src> <dst>",
		Short: "Copy a file (or with -R a folder) within Halo, bytes included, through the workers",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.HasPrefix(args[0], "file://") || strings.HasPrefix(args[1], "file://") {
				return fserr.New(fserr.InvalidArgument, "cp copies within Halo: use copyFromLocal or copyToLocal for local files")
			}
			return e.withPaths(cmd, args, func(ctx context.Context, c *client.Client, paths []string) error {
				return e.copyTree(ctx, c, paths[0], paths[1], recursive)
			})
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "copy folders and everything under them")
	return cmd
}

// copyTree copies src to dst (into dst when it is a folder), folders
// only when recursive.
func (e *Env) copyTree(ctx context.Context, c *client.Client, src, dst string, recursive bool) error {
	info, err := c.GetStatus(ctx, src)
	if err != nil {
		return err
	}
	if to, err := c.GetStatus(ctx, dst); err == nil && to.GetIsDirectory() {
		dst = path.Join(dst, path.Base(src))
	}
	if src == dst || strings.HasPrefix(dst, strings.TrimSuffix(src, "/")+"/") {
		return fserr.New(fserr.InvalidArgument, "cannot copy %s to %s: the destination is the source or inside it", src, dst)
	}
	if !info.GetIsDirectory() {
		return e.copyFile(ctx, c, src, dst)
	}
	if !recursive {
		return fserr.New(fserr.InvalidArgument, "%s is a directory, to copy it please use \"cp -R <src> <dst>\"", src)
	}
	if _, err := c.CreateDirectory(ctx, dst, client.CreateDirectoryOptions{Recursive: true, AllowExists: true}); err != nil {
		return err
	}
	return c.ListStatusPages(ctx, src, true, func(page []*halopb.FileInfo) error {
		for _, f := range page {
			target := path.Join(dst, strings.TrimPrefix(f.GetPath(), src))
			if f.GetIsDirectory() {
				_, err = c.CreateDirectory(ctx, target, client.CreateDirectoryOptions{Recursive: true, AllowExists: true})
			} else {
				err = e.copyFile(ctx, c, f.GetPath(), target)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// copyFile writes src's bytes to a new file dst with the configured
// write type; a failed copy leaves no complete dst behind.
func (e *Env) copyFile(ctx context.Context, c *client.Client, src, dst string) error {
	r, err := c.Open(ctx, src, e.openOptions())
	if err != nil {
		return err
	}
	defer r.Close()
	if err := e.writeFile(ctx, c, r, dst); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Copied %s to %s\n", src, dst)
	return nil
}
