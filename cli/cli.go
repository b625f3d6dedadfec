// Package cli implements the `fs` and `fsadmin` command trees, with the
// names, flags and output shapes of Alluxio 2.x's shell so that scripts
// written for Alluxio keep working against Halo.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fserr"
)

// DefaultLookupTimeout bounds how long `fs leader`, `fs masterInfo` and
// `fsadmin report` look for a leader before saying there is none.
const DefaultLookupTimeout = 10 * time.Second

// Env is what the commands need from the process that runs them.
type Env struct {
	// Dial returns a client for the configured masters. Commands close it.
	Dial func(ctx context.Context) (*client.Client, error)
	// Out and Err receive output and diagnostics; nil means os.Stdout and
	// os.Stderr.
	Out, Err io.Writer
	// MasterAddresses are the masters' RPC addresses, for leader,
	// masterInfo and report.
	MasterAddresses    []string
	HAMode             conf.HAMode
	ZooKeeperAddresses []string
	RaftAddresses      []string
	// HidePermissions leaves the mode, owner and group out of listings, as
	// Alluxio's shell does when security is off (NOSASL, or permission
	// checks disabled).
	HidePermissions bool
	// Location is the time zone of printed dates; nil means local time,
	// as Alluxio prints them.
	Location *time.Location
	// LookupTimeout bounds leader discovery for leader, masterInfo and
	// report; zero means DefaultLookupTimeout.
	LookupTimeout time.Duration
	// Authentication, SecretFile and WebPort are what webLogin needs to
	// make the masters' login links.
	Authentication string
	SecretFile     string
	WebPort        int
	// WriteType, ReadType and BlockSize are the data commands' defaults
	// (alluxio.user.file.writetype.default, readtype, block size).
	WriteType client.WriteType
	ReadType  client.ReadType
	BlockSize int64
	// NoShortCircuit sends the data commands' bytes through the workers'
	// streams even to a worker on this host (alluxio.user.short.circuit.enabled
	// set to false).
	NoShortCircuit bool
}

func (e *Env) fillDefaults() {
	if e.Out == nil {
		e.Out = os.Stdout
	}
	if e.Err == nil {
		e.Err = os.Stderr
	}
}

func (e *Env) location() *time.Location {
	if e.Location == nil {
		return time.Local
	}
	return e.Location
}

func (e *Env) lookupTimeout() time.Duration {
	if e.LookupTimeout <= 0 {
		return DefaultLookupTimeout
	}
	return e.LookupTimeout
}

// withClient dials, runs fn and closes the client.
// withPath runs fn with a client and the command's path argument made
// absolute and clean, as most fs commands need.
func (e *Env) withPath(cmd *cobra.Command, arg string, fn func(ctx context.Context, c *client.Client, p string) error) error {
	p, err := normalizePath(arg)
	if err != nil {
		return err
	}
	return e.withClient(cmd, func(ctx context.Context, c *client.Client) error { return fn(ctx, c, p) })
}

// withPaths is withPath for commands that take several paths.
func (e *Env) withPaths(cmd *cobra.Command, args []string, fn func(ctx context.Context, c *client.Client, paths []string) error) error {
	paths, err := normalizePaths(args)
	if err != nil {
		return err
	}
	return e.withClient(cmd, func(ctx context.Context, c *client.Client) error { return fn(ctx, c, paths) })
}

func (e *Env) withClient(cmd *cobra.Command, fn func(ctx context.Context, c *client.Client) error) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	c, err := e.Dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(ctx, c)
}

// ExitCodeError ends a command with an exit code and no message: `fs test`
// answers through its exit code alone.
type ExitCodeError struct{ Code int }

func (e *ExitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ExitCodeOutcomeUnknown is the exit code of a mutation whose outcome is
// unknown, so that scripts can tell it from a failure (exit 1).
const ExitCodeOutcomeUnknown = 3

// ExitCode is the process exit code for the error a command returned: 0 for
// nil, the code of an ExitCodeError, ExitCodeOutcomeUnknown for an
// OutcomeUnknown error, 1 for anything else.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *ExitCodeError
	if errors.As(err, &exit) {
		return exit.Code
	}
	if fserr.CodeOf(err) == fserr.OutcomeUnknown {
		return ExitCodeOutcomeUnknown
	}
	return 1
}

// Execute runs cmd with args, prints a failing command's error as one line
// on stderr (unless it is an ExitCodeError) and returns the exit code.
func Execute(ctx context.Context, cmd *cobra.Command, args []string, stderr io.Writer) int {
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	var exit *ExitCodeError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(stderr, oneLine(err.Error()))
	}
	return ExitCode(err)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// newGroup builds a parent command whose subcommands do the work. Errors
// are printed once, by Execute or the caller, not by cobra.
func newGroup(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:           use,
		Short:         short,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.ArbitraryArgs,
		// Without this, cobra prints help and exits 0 for a mistyped
		// subcommand of a group that is not the root command.
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
}
