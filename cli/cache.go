package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
)

// persistPollInterval is how often `fs persist` asks whether the
// persister has copied a file yet.
const persistPollInterval = 200 * time.Millisecond

func (e *Env) loadCommand() *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:   "load [--local] <path>",
		Short: "Have workers cache a persisted file's (or a folder's files') blocks from the UFS",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPath(cmd, args[0], func(ctx context.Context, c *client.Client, p string) error {
				return eachFile(ctx, c, p, func(f *halopb.FileInfo) error { return e.loadFile(ctx, c, f, local) })
			})
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "cache the blocks in a worker on this machine")
	return cmd
}

func (e *Env) loadFile(ctx context.Context, c *client.Client, f *halopb.FileInfo, local bool) error {
	cached, err := c.Load(ctx, f.GetPath(), local)
	switch {
	case err != nil:
		return err
	case cached == 0:
		fmt.Fprintf(e.Out, "%s already in Alluxio fully\n", f.GetPath())
	default:
		fmt.Fprintf(e.Out, "%s loaded\n", f.GetPath())
	}
	return nil
}

// eachFile calls fn with p's status if p is a file, else with each file
// under it.
func eachFile(ctx context.Context, c *client.Client, p string, fn func(*halopb.FileInfo) error) error {
	_, err := listPages(ctx, c, p, true, false, func(page []*halopb.FileInfo) error {
		for _, f := range page {
			if f.GetIsDirectory() {
				continue
			}
			if err := fn(f); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

func (e *Env) persistCommand() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "persist [--timeout <duration>] <path>...",
		Short: "Copy files (or a folder's files) to the UFS and wait until they are PERSISTED",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withPaths(cmd, args, func(ctx context.Context, c *client.Client, paths []string) error {
				for _, p := range paths {
					if err := eachFile(ctx, c, p, func(f *halopb.FileInfo) error { return e.persistFile(ctx, c, f, timeout) }); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().DurationVarP(&timeout, "timeout", "t", 20*time.Minute, "how long to wait for each file to be persisted")
	return cmd
}

func (e *Env) persistFile(ctx context.Context, c *client.Client, f *halopb.FileInfo, timeout time.Duration) error {
	if f.GetPersistenceState() == halopb.PersistenceState_PERSISTED {
		fmt.Fprintf(e.Out, "%s is already persisted\n", f.GetPath())
		return nil
	}
	if err := c.SchedulePersist(ctx, f.GetPath()); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.GetStatus(ctx, f.GetPath())
		if err != nil {
			return err
		}
		if st.GetPersistenceState() == halopb.PersistenceState_PERSISTED {
			fmt.Fprintf(e.Out, "persisted file %s with size %d\n", f.GetPath(), st.GetLength())
			return nil
		}
		if time.Now().After(deadline) {
			return fserr.New(fserr.Unavailable, "%s is still %s after %v: the leader's persister has not copied it to the UFS yet (see the leader's log)", f.GetPath(), st.GetPersistenceState(), timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(persistPollInterval):
		}
	}
}

func (e *Env) pinCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "pin <path>",
		Short: "Keep a file's (or a folder's files') blocks on the workers: never evicted",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.setPinned(cmd, args[0], true, "File '%s' was successfully pinned.")
		},
	}
}

func (e *Env) unpinCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unpin <path>",
		Short: "Let a file's (or a folder's files') blocks be evicted again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.setPinned(cmd, args[0], false, "File '%s' was successfully unpinned.")
		},
	}
}

// setPinned pins or unpins arg recursively, as Alluxio's pin does.
func (e *Env) setPinned(cmd *cobra.Command, arg string, pinned bool, report string) error {
	p, err := normalizePath(arg)
	if err != nil {
		return err
	}
	return e.setAttribute(cmd, &halopb.SetAttributeOptions{Path: p, Recursive: true, HasPinned: true, Pinned: pinned}, fmt.Sprintf(report, p))
}

func (e *Env) setTTLCommand() *cobra.Command {
	var action string
	cmd := &cobra.Command{
		Use:   "setTtl [--action delete] <path> <time to live>",
		Short: "Delete a file or folder once the time to live (ms, or with a unit: 10s, 5min, 2h, 1d) has passed since its creation",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := normalizePath(args[0])
			if err != nil {
				return err
			}
			if !strings.EqualFold(action, "delete") {
				return fserr.New(fserr.InvalidArgument, "setTtl --action %s: Halo's TTL deletes the file when it expires; only --action delete is supported", action)
			}
			ttl, err := parseTimeToLive(args[1])
			if err != nil {
				return err
			}
			return e.setAttribute(cmd, &halopb.SetAttributeOptions{Path: p, HasTtl: true, TtlMs: ttl},
				fmt.Sprintf("TTL of path '%s' was successfully set to %d milliseconds, with expiry action set to DELETE", p, ttl))
		},
	}
	cmd.Flags().StringVar(&action, "action", "delete", "what happens when the TTL expires (delete)")
	return cmd
}

func (e *Env) unsetTTLCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unsetTtl <path>",
		Short: "Remove the time to live of a file or folder",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := normalizePath(args[0])
			if err != nil {
				return err
			}
			return e.setAttribute(cmd, &halopb.SetAttributeOptions{Path: p, HasTtl: true, TtlMs: -1}, fmt.Sprintf("TTL of path '%s' was successfully removed.", p))
		},
	}
}

// timeUnits are the units Alluxio's setTtl accepts after a number, in
// milliseconds; a bare number is milliseconds.
var timeUnits = map[string]int64{
	"": 1, "ms": 1, "millisecond": 1,
	"s": 1000, "sec": 1000, "second": 1000,
	"m": 60_000, "min": 60_000, "minute": 60_000,
	"h": 3_600_000, "hr": 3_600_000, "hour": 3_600_000,
	"d": 86_400_000, "day": 86_400_000,
}

// parseTimeToLive reads a setTtl time: a positive whole number with an
// optional unit.
func parseTimeToLive(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	digits := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if digits < 0 {
		digits = len(t)
	}
	n, err := strconv.ParseInt(t[:digits], 10, 64)
	name := strings.TrimSpace(t[digits:])
	unit, known := timeUnits[name]
	if !known && len(name) > 3 { // plurals: "minutes", "days"
		unit, known = timeUnits[strings.TrimSuffix(name, "s")]
	}
	if err != nil || !known || n <= 0 || n > (1<<62)/unit {
		return 0, fserr.New(fserr.InvalidArgument, "bad time to live %q: give a positive number of milliseconds, or one with a unit (ms, s, min, h, d)", s)
	}
	return n * unit, nil
}
