package cli

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/halopb"
)

// NewFSCommand returns the `fs` command tree.
func NewFSCommand(env *Env) *cobra.Command {
	env.fillDefaults()
	fs := newGroup("fs", "Operate on the Halo (Alluxio-compatible) file system namespace")
	fs.AddCommand(
		env.lsCommand(),
		env.mkdirCommand(),
		env.touchCommand(),
		env.statCommand(),
		env.mvCommand(),
		env.rmCommand(),
		env.chmodCommand(),
		env.chownCommand(),
		env.chgrpCommand(),
		env.countCommand(),
		env.duCommand(),
		env.testCommand(),
		env.mountCommand(),
		env.unmountCommand(),
		env.loadMetadataCommand(),
		env.leaderCommand(),
		env.masterInfoCommand(),
		env.copyFromLocalCommand(),
		env.copyToLocalCommand(),
		env.catCommand(),
		env.headCommand(),
		env.tailCommand(),
		env.freeCommand(),
		env.loadCommand(),
		env.persistCommand(),
		env.pinCommand(),
		env.unpinCommand(),
		env.setTTLCommand(),
		env.unsetTTLCommand(),
		env.cpCommand(),
	)
	return fs
}

// freeHelpShorthand lets a command use -h for "human readable", as
// Alluxio's do; --help still works.
func freeHelpShorthand(cmd *cobra.Command) {
	cmd.Flags().Bool("help", false, "help for "+cmd.Name())
}

// listPages calls fn with each page of the listing of p, as the master
// streams it: for a directory (unless asFile) its children, or its whole
// subtree if recursive, depth first with children by name; for a file, the
// file itself. It returns the status of p.
func listPages(ctx context.Context, c *client.Client, p string, recursive, asFile bool, fn func([]*halopb.FileInfo) error) (*halopb.FileInfo, error) {
	info, err := c.GetStatus(ctx, p)
	if err != nil {
		return nil, err
	}
	if asFile || !info.GetIsDirectory() {
		return info, fn([]*halopb.FileInfo{info})
	}
	return info, c.ListStatusPages(ctx, p, recursive, fn)
}

// addUpListing passes every page of the recursive listing of p (p itself
// for a file) to add, as it comes: totals need no whole listing in memory.
func addUpListing(ctx context.Context, c *client.Client, p string, add func([]*halopb.FileInfo)) error {
	_, err := listPages(ctx, c, p, true, false, func(page []*halopb.FileInfo) error {
		add(page)
		return nil
	})
	return err
}

// statusAndListing returns the status of p and, for a directory (unless
// asFile), its listing sorted by path; for a file, the file itself.
func statusAndListing(ctx context.Context, c *client.Client, p string, recursive, asFile bool) (*halopb.FileInfo, []*halopb.FileInfo, error) {
	var entries []*halopb.FileInfo
	info, err := listPages(ctx, c, p, recursive, asFile, func(page []*halopb.FileInfo) error {
		entries = append(entries, page...)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(entries, func(a, b *halopb.FileInfo) int { return strings.Compare(a.GetPath(), b.GetPath()) })
	return info, entries, nil
}

func (e *Env) lsCommand() *cobra.Command {
	var recursive, human, dirAsFile, pinnedOnly bool
	cmd := &cobra.Command{
		Use:   "ls [-R] [-h] [-d] [-p] <path>...",
		Short: "List files and directories with permission, owner, group, size, persistence state, modification time and in-Alluxio percentage",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPaths(cmd, args, func(ctx context.Context, c *client.Client, paths []string) error {
				printEntries := func(entries []*halopb.FileInfo) error {
					for _, info := range entries {
						if !pinnedOnly || info.GetPinned() {
							fmt.Fprint(e.Out, formatLsLine(info, human, e.HidePermissions, e.location()))
						}
					}
					return nil
				}
				for _, p := range paths {
					if !recursive {
						// Children of one directory come in name order,
						// which is path order: print each page as it comes.
						if _, err := listPages(ctx, c, p, false, dirAsFile, printEntries); err != nil {
							return err
						}
						continue
					}
					// Alluxio sorts a recursive listing by whole path,
					// which is not the order of the master's walk.
					_, entries, err := statusAndListing(ctx, c, p, true, dirAsFile)
					if err != nil {
						return err
					}
					printEntries(entries)
				}
				return nil
			})
		},
	}
	freeHelpShorthand(cmd)
	f := cmd.Flags()
	f.BoolVarP(&recursive, "recursive", "R", false, "list subdirectories recursively")
	f.BoolVarP(&human, "human-readable", "h", false, "print human-readable sizes")
	f.BoolVarP(&dirAsFile, "directory", "d", false, "list directories as plain files")
	f.BoolVarP(&pinnedOnly, "pinned", "p", false, "list pinned files only")
	return cmd
}

func (e *Env) mkdirCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "mkdir <path>...",
		Short: "Create directories, with any missing parents",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPaths(cmd, args, func(ctx context.Context, c *client.Client, paths []string) error {
				for _, p := range paths {
					if _, err := c.CreateDirectory(ctx, p, client.CreateDirectoryOptions{Recursive: true}); err != nil {
						return err
					}
					fmt.Fprintf(e.Out, "Successfully created directory %s\n", p)
				}
				return nil
			})
		},
	}
}

func (e *Env) touchCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "touch <path>",
		Short: "Create an empty file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPath(cmd, args[0], func(ctx context.Context, c *client.Client, p string) error {
				if _, err := c.CreateFile(ctx, p, client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "%s has been created\n", p)
				return nil
			})
		},
	}
}

func (e *Env) statCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "stat [-f <format>] <path>",
		Short: "Show the attributes of a file or directory",
		Long: "Show the attributes of a file or directory. With -f, print only the given format: " +
			"%N name, %z size, %u owner, %g group, %y modification date, %Y modification time in ms, %b block count.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPath(cmd, args[0], func(ctx context.Context, c *client.Client, p string) error {
				info, err := c.GetStatus(ctx, p)
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("format") {
					fmt.Fprintln(e.Out, formatStatFormat(format, info, e.location()))
					return nil
				}
				var blocks []client.FileBlock
				if !info.GetIsDirectory() {
					if blocks, err = c.FileBlocks(ctx, p); err != nil {
						return err
					}
				}
				writeStat(e.Out, p, info, blocks)
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "print only these fields")
	return cmd
}

func (e *Env) mvCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "mv <src> <dst>",
		Short: "Rename a file or directory",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPaths(cmd, args, func(ctx context.Context, c *client.Client, paths []string) error {
				if err := c.Rename(ctx, paths[0], paths[1]); err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "Renamed %s to %s\n", paths[0], paths[1])
				return nil
			})
		},
	}
}

func (e *Env) rmCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "rm [-R] <path>...",
		Short: "Remove files; -R removes directories and their contents",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPaths(cmd, args, func(ctx context.Context, c *client.Client, paths []string) error {
				for _, p := range paths {
					if !recursive {
						info, err := c.GetStatus(ctx, p)
						if err != nil {
							return err
						}
						if info.GetIsDirectory() {
							return fmt.Errorf("%s is a directory, to remove it, please use \"rm -R <path>\"", p)
						}
					}
					if err := c.Delete(ctx, p, recursive); err != nil {
						return err
					}
					fmt.Fprintf(e.Out, "%s has been removed\n", p)
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "remove directories and their contents")
	return cmd
}

// setAttribute applies attr and prints report once the master accepted it.
func (e *Env) setAttribute(cmd *cobra.Command, attr *halopb.SetAttributeOptions, report string) error {
	return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
		if err := c.SetAttribute(ctx, attr); err != nil {
			return err
		}
		fmt.Fprintln(e.Out, report)
		return nil
	})
}

func (e *Env) chmodCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "chmod [-R] <mode> <path>",
		Short: "Change the permission of a file or directory (octal or symbolic mode)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			mode, err := parseMode(args[0])
			if err != nil {
				return err
			}
			p, err := normalizePath(args[1])
			if err != nil {
				return err
			}
			attr := &halopb.SetAttributeOptions{Path: p, Recursive: recursive, HasMode: true, Mode: mode}
			return e.setAttribute(cmd, attr, fmt.Sprintf("Changed permission of %s to %o", p, mode))
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "change the permission recursively")
	return cmd
}

func (e *Env) chownCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "chown [-R] <owner>[:<group>] <path>",
		Short: "Change the owner, and optionally the group, of a file or directory",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			owner, group, err := parseOwnerGroup(args[0])
			if err != nil {
				return err
			}
			p, err := normalizePath(args[1])
			if err != nil {
				return err
			}
			attr := &halopb.SetAttributeOptions{Path: p, Recursive: recursive, HasOwner: true, Owner: owner}
			report := fmt.Sprintf("Changed owner of %s to %s", p, owner)
			if group != "" {
				attr.HasGroup, attr.Group = true, group
				report = fmt.Sprintf("Changed owner:group of %s to %s:%s.", p, owner, group)
			}
			return e.setAttribute(cmd, attr, report)
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "change the owner recursively")
	return cmd
}

func (e *Env) chgrpCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "chgrp [-R] <group> <path>",
		Short: "Change the group of a file or directory",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			group := args[0]
			if _, _, err := parseOwnerGroup(group); err != nil || strings.Contains(group, ":") {
				return fmt.Errorf("invalid group name %s", group)
			}
			p, err := normalizePath(args[1])
			if err != nil {
				return err
			}
			attr := &halopb.SetAttributeOptions{Path: p, Recursive: recursive, HasGroup: true, Group: group}
			return e.setAttribute(cmd, attr, fmt.Sprintf("Changed group of %s to %s", p, group))
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "change the group recursively")
	return cmd
}

func (e *Env) countCommand() *cobra.Command {
	var human bool
	cmd := &cobra.Command{
		Use:   "count [-h] <path>",
		Short: "Count the files and folders under a path and their total size",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPath(cmd, args[0], func(ctx context.Context, c *client.Client, p string) error {
				var totals countTotals
				if err := addUpListing(ctx, c, p, totals.add); err != nil {
					return err
				}
				writeCount(e.Out, totals, human)
				return nil
			})
		},
	}
	freeHelpShorthand(cmd)
	cmd.Flags().BoolVarP(&human, "human-readable", "h", false, "print human-readable sizes")
	return cmd
}

func (e *Env) duCommand() *cobra.Command {
	var human, summarize bool
	cmd := &cobra.Command{
		Use:   "du [-s] [-h] <path>",
		Short: "Show the size of files and how much of it is in Alluxio",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPath(cmd, args[0], func(ctx context.Context, c *client.Client, p string) error {
				if summarize {
					var total duTotal
					if err := addUpListing(ctx, c, p, total.add); err != nil {
						return err
					}
					writeDuSummary(e.Out, p, total, human)
					return nil
				}
				_, entries, err := statusAndListing(ctx, c, p, true, false)
				if err != nil {
					return err
				}
				files := slices.DeleteFunc(entries, func(i *halopb.FileInfo) bool { return i.GetIsDirectory() })
				writeDu(e.Out, files, human)
				return nil
			})
		},
	}
	freeHelpShorthand(cmd)
	cmd.Flags().BoolVarP(&human, "human-readable", "h", false, "print human-readable sizes")
	cmd.Flags().BoolVarP(&summarize, "summarize", "s", false, "print one total for the path")
	return cmd
}

// testFlags are `fs test`'s mutually exclusive questions.
var testFlags = []struct{ name, usage string }{
	{"d", "test whether the path is a directory"},
	{"e", "test whether the path exists"},
	{"f", "test whether the path is a file"},
	{"s", "test whether the path is a non-empty directory"},
	{"z", "test whether the path is a zero-length file"},
}

// evaluateTest answers one `fs test` question from GetStatus's result. A
// path that does not exist is "false"; other errors (no master, say) are
// errors, not answers.
func evaluateTest(flag string, info *halopb.FileInfo, statErr error) (bool, error) {
	if statErr != nil {
		switch fserr.CodeOf(statErr) {
		case fserr.NotFound, fserr.InvalidPath:
			return false, nil
		}
		return false, statErr
	}
	switch flag {
	case "d":
		return info.GetIsDirectory(), nil
	case "e":
		return true, nil
	case "f":
		return !info.GetIsDirectory(), nil
	case "s":
		return info.GetIsDirectory() && info.GetChildCount() > 0, nil
	case "z":
		return !info.GetIsDirectory() && info.GetLength() == 0, nil
	}
	return false, fmt.Errorf("unknown test -%s", flag)
}

func (e *Env) testCommand() *cobra.Command {
	set := make([]bool, len(testFlags))
	cmd := &cobra.Command{
		Use:   "test -d|-e|-f|-s|-z <path>",
		Short: "Test a property of a path: exit code 0 if true, 1 if not",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var chosen []string
			for i, f := range testFlags {
				if set[i] {
					chosen = append(chosen, f.name)
				}
			}
			if len(chosen) != 1 {
				return fmt.Errorf("test needs exactly one of -d, -e, -f, -s, -z")
			}
			return e.withPath(cmd, args[0], func(ctx context.Context, c *client.Client, p string) error {
				info, statErr := c.GetStatus(ctx, p)
				ok, err := evaluateTest(chosen[0], info, statErr)
				if err != nil {
					return err
				}
				if !ok {
					return &ExitCodeError{Code: 1}
				}
				return nil
			})
		},
	}
	for i, f := range testFlags {
		cmd.Flags().BoolVarP(&set[i], f.name, f.name, false, f.usage)
	}
	return cmd
}

// parseMountOptions reads --option key=value arguments.
func parseMountOptions(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	opts := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid mount option %q: expected key=value", kv)
		}
		opts[k] = v
	}
	return opts, nil
}

func (e *Env) mountCommand() *cobra.Command {
	var readOnly, shared bool
	var options []string
	cmd := &cobra.Command{
		Use:   "mount [--readonly] [--shared] [--option <key=value>]... <path> <ufsURI>",
		Short: "Mount a UFS folder at a path; with no arguments, list the mount points",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != 2 {
				return fmt.Errorf("mount takes 0 or 2 arguments, not %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
					mounts, err := c.GetMountTable(ctx)
					if err != nil {
						return err
					}
					writeMountTable(e.Out, mounts)
					return nil
				})
			}
			p, err := normalizePath(args[0])
			if err != nil {
				return err
			}
			opts, err := parseMountOptions(options)
			if err != nil {
				return err
			}
			ufsURI := args[1]
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if err := c.Mount(ctx, p, ufsURI, client.MountOptions{ReadOnly: readOnly, Shared: shared, Options: opts}); err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "Mounted %s at %s\n", ufsURI, p)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&readOnly, "readonly", false, "mount point is read-only in Halo")
	f.BoolVar(&shared, "shared", false, "mount point is shared")
	f.StringArrayVar(&options, "option", nil, "UFS option key=value for this mount point (repeatable)")
	return cmd
}

func (e *Env) unmountCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unmount <path>",
		Short: "Remove a mount point",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPath(cmd, args[0], func(ctx context.Context, c *client.Client, p string) error {
				if err := c.Unmount(ctx, p); err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "Unmounted %s\n", p)
				return nil
			})
		},
	}
}

func (e *Env) loadMetadataCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "loadMetadata [-R] <path>...",
		Short: "Load metadata for a path from the under file system",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPaths(cmd, args, func(ctx context.Context, c *client.Client, paths []string) error {
				for _, p := range paths {
					if _, err := c.LoadMetadata(ctx, p, recursive); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "load subdirectories recursively")
	return cmd
}

// hostOf strips the port from host:port.
func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// notServing is what Alluxio prints when no leader answers.
const notServing = "The leader is not currently serving requests."

func (e *Env) leaderCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "leader",
		Short: "Print the leading master's host name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				ctx, cancel := context.WithTimeout(ctx, e.lookupTimeout())
				defer cancel()
				addr, err := c.Leader(ctx)
				if err != nil {
					// Like Alluxio: say so, but exit 0.
					fmt.Fprintln(e.Err, notServing)
					return nil
				}
				fmt.Fprintln(e.Out, hostOf(addr))
				info, err := c.MasterInfoFrom(ctx, addr)
				if err != nil || state.Of(info) != state.Primary {
					fmt.Fprintln(e.Err, notServing)
				}
				return nil
			})
		},
	}
}

func (e *Env) masterInfoCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "masterInfo",
		Short: "Print the leading master's address and every master's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				ctx, cancel := context.WithTimeout(ctx, e.lookupTimeout())
				defer cancel()
				leader, err := c.Leader(ctx)
				if err != nil {
					leader = ""
				}
				writeMasterInfo(e.Out, leader, e.MasterAddresses, e.HAMode, e.ZooKeeperAddresses, e.RaftAddresses)
				return nil
			})
		},
	}
}
