package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fserr"
)

// defaultHeadTailBytes is how much head and tail print without -c.
const defaultHeadTailBytes = 1024

func (e *Env) createOptions() client.CreateOptions {
	return client.CreateOptions{WriteType: e.WriteType, BlockSize: e.BlockSize, Recursive: true, NoShortCircuit: e.NoShortCircuit}
}

func (e *Env) openOptions() client.OpenOptions {
	return client.OpenOptions{ReadType: e.ReadType, NoShortCircuit: e.NoShortCircuit}
}

func (e *Env) copyFromLocalCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "copyFromLocal <src> <dst>",
		Short: "Copy a local file or folder into Halo, through the workers",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dst, err := normalizePath(args[1])
			if err != nil {
				return err
			}
			src, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if info, err := c.GetStatus(ctx, dst); err == nil && info.GetIsDirectory() {
					dst = path.Join(dst, filepath.Base(src))
				}
				return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					rel, _ := filepath.Rel(src, p)
					target := path.Join(dst, filepath.ToSlash(rel))
					if err := e.upload(ctx, c, p, target); err != nil {
						return err
					}
					fmt.Fprintf(e.Out, "Copied file://%s to %s\n", p, target)
					return nil
				})
			})
		},
	}
}

// upload writes the local file src to dst; a failed write leaves no
// complete file behind.
func (e *Env) upload(ctx context.Context, c *client.Client, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return e.writeFile(ctx, c, in, dst)
}

// writeFile writes what in holds to a new file dst; a failed write leaves
// no complete file behind.
func (e *Env) writeFile(ctx context.Context, c *client.Client, in io.Reader, dst string) error {
	w, err := c.Create(ctx, dst, e.createOptions())
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

func (e *Env) copyToLocalCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "copyToLocal <src> <dst>",
		Short: "Copy a Halo file to the local file system",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := normalizePath(args[0])
			if err != nil {
				return err
			}
			dst, err := filepath.Abs(args[1])
			if err != nil {
				return err
			}
			if st, err := os.Stat(dst); err == nil && st.IsDir() {
				dst = filepath.Join(dst, path.Base(src))
			}
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if err := e.download(ctx, c, src, dst); err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "Copied %s to file://%s\n", src, dst)
				return nil
			})
		},
	}
}

// download copies src to a temporary file beside dst and renames it into
// place once whole, so that a failed read leaves no partial dst.
func (e *Env) download(ctx context.Context, c *client.Client, src, dst string) error {
	r, err := c.Open(ctx, src, e.openOptions())
	if err != nil {
		return err
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".copying-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func (e *Env) catCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cat <path>",
		Short: "Print a file's bytes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.printRange(cmd, args[0], func(int64) (int64, int64) { return 0, -1 })
		},
	}
}

func (e *Env) headCommand() *cobra.Command {
	return e.rangeCommand("head", "Print the first bytes of a file", func(n int64) func(int64) (int64, int64) {
		return func(length int64) (int64, int64) { return 0, min(n, length) }
	})
}

func (e *Env) tailCommand() *cobra.Command {
	return e.rangeCommand("tail", "Print the last bytes of a file", func(n int64) func(int64) (int64, int64) {
		return func(length int64) (int64, int64) { return max(0, length-n), min(n, length) }
	})
}

// rangeCommand is head or tail: -c names how many bytes.
func (e *Env) rangeCommand(name, short string, window func(n int64) func(length int64) (off, n int64)) *cobra.Command {
	var size string
	cmd := &cobra.Command{
		Use:   name + " [-c <bytes>] <path>",
		Short: short + " (1KB unless -c says)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseByteCount(size)
			if err != nil {
				return err
			}
			return e.printRange(cmd, args[0], window(n))
		},
	}
	cmd.Flags().StringVarP(&size, "bytes", "c", strconv.Itoa(defaultHeadTailBytes), "number of bytes (e.g. 1024, 2KB)")
	return cmd
}

func parseByteCount(s string) (int64, error) {
	n, err := conf.ParseSize(s)
	if err != nil || n > math.MaxInt64 {
		return 0, fserr.New(fserr.InvalidArgument, "%q is not a byte count", s)
	}
	return int64(n), nil
}

// printRange prints the part of the file that window picks from its
// length (a negative count: to the end).
func (e *Env) printRange(cmd *cobra.Command, arg string, window func(length int64) (off, n int64)) error {
	p, err := normalizePath(arg)
	if err != nil {
		return err
	}
	return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
		r, err := c.Open(ctx, p, e.openOptions())
		if err != nil {
			if info, serr := c.GetStatus(ctx, p); serr == nil && info.GetIsDirectory() {
				return fmt.Errorf("path %s must be a file", p)
			}
			return err
		}
		defer r.Close()
		off, n := window(r.Length())
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			return err
		}
		var src io.Reader = r
		if n >= 0 {
			src = io.LimitReader(r, n)
		}
		_, err = io.Copy(e.Out, src)
		return err
	})
}

func (e *Env) freeCommand() *cobra.Command {
	var forced bool
	cmd := &cobra.Command{
		Use:   "free [-f] <path>",
		Short: "Drop the workers' cached copies of persisted files",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPath(cmd, args[0], func(ctx context.Context, c *client.Client, p string) error {
				if err := c.FreeBlocks(ctx, p, forced); err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "%s was successfully freed from Alluxio space.\n", p)
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&forced, "force", "f", false, "also free pinned files")
	return cmd
}
