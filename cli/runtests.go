package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"slices"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
)

// The operations of Alluxio's TestRunner: BASIC writes its numbers as one
// buffer, BASIC_NON_BYTE_BUFFER a count and the numbers one by one.
const (
	opBasic              = "BASIC"
	opBasicNonByteBuffer = "BASIC_NON_BYTE_BUFFER"
	// testNumbers is how many 32-bit numbers each test writes.
	testNumbers = 20
)

var (
	testOperations = []string{opBasic, opBasicNonByteBuffer}
	testReadTypes  = []client.ReadType{client.CachePromote, client.Cache, client.NoCache}
	testWriteTypes = []client.WriteType{client.MustCache, client.CacheThrough, client.Through, client.AsyncThrough}
)

// NewRunTestsCommand returns `runTests`, Alluxio's TestRunner: every
// combination of operation, read type and write type writes a file under
// the directory and reads it back. The exit status is the number of
// failed tests.
func NewRunTestsCommand(env *Env) *cobra.Command {
	env.fillDefaults()
	var dir, operation, readType, writeType string
	cmd := &cobra.Command{
		Use:   "runTests [--directory <path>] [--operation BASIC|BASIC_NON_BYTE_BUFFER] [--readType <type>] [--writeType <type>]",
		Short: "Write and read back a small file with every write and read type, as Alluxio's runTests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, err := testPlan(operation, readType, writeType)
			if err != nil {
				return err
			}
			dir, err := normalizePath(dir)
			if err != nil {
				return err
			}
			var failed int
			err = env.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if err := c.Delete(ctx, dir, true); err != nil && fserr.CodeOf(err) != fserr.NotFound {
					return err
				}
				failed = env.runTestPlan(ctx, c, dir, plan)
				return nil
			})
			if err != nil {
				return err
			}
			if failed > 0 {
				fmt.Fprintf(env.Out, "Number of failed tests: %d\n", failed)
				return &ExitCodeError{Code: failed}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "directory", "/default_tests_files", "folder the test files are written in (deleted first)")
	f.StringVar(&operation, "operation", "", "only this operation: BASIC or BASIC_NON_BYTE_BUFFER")
	f.StringVar(&readType, "readType", "", "only this read type: CACHE_PROMOTE, CACHE or NO_CACHE")
	f.StringVar(&writeType, "writeType", "", "only this write type: MUST_CACHE, CACHE_THROUGH, THROUGH or ASYNC_THROUGH")
	return cmd
}

// runTest is one combination.
type runTest struct {
	op        string
	readType  client.ReadType
	writeType client.WriteType
	// noShortCircuit is alluxio.user.short.circuit.enabled=false.
	noShortCircuit bool
}

// testPlan lists the combinations the flags leave, in Alluxio's order:
// read types, then write types, then operations.
func testPlan(operation, readType, writeType string) ([]runTest, error) {
	ops, reads, writes := testOperations, testReadTypes, testWriteTypes
	if operation != "" {
		if operation != opBasic && operation != opBasicNonByteBuffer {
			return nil, fmt.Errorf("unknown operation %q: BASIC or BASIC_NON_BYTE_BUFFER", operation)
		}
		ops = []string{operation}
	}
	if readType != "" {
		rt, err := client.ParseReadType(readType)
		if err != nil {
			return nil, err
		}
		reads = []client.ReadType{rt}
	}
	if writeType != "" {
		wt, err := client.ParseWriteType(writeType)
		if err != nil {
			return nil, err
		}
		writes = []client.WriteType{wt}
	}
	var plan []runTest
	for _, rt := range reads {
		for _, wt := range writes {
			for _, op := range ops {
				plan = append(plan, runTest{op: op, readType: rt, writeType: wt})
			}
		}
	}
	return plan, nil
}

// withShortCircuit gives every test of plan the configured short-circuit
// setting.
func (e *Env) withShortCircuit(plan []runTest) []runTest {
	out := slices.Clone(plan)
	for i := range out {
		out[i].noShortCircuit = e.NoShortCircuit
	}
	return out
}

func (e *Env) runTestPlan(ctx context.Context, c *client.Client, dir string, plan []runTest) int {
	failed := 0
	for _, t := range e.withShortCircuit(plan) {
		fmt.Fprintf(e.Out, "runTest --operation %s --readType %s --writeType %s\n", t.op, t.readType, t.writeType)
		if err := t.run(ctx, c, dir); err != nil {
			fmt.Fprintf(e.Out, "%v\nFailed the test!\n", err)
			failed++
			continue
		}
		fmt.Fprintln(e.Out, "Passed the test!")
	}
	return failed
}

// run writes the test's numbers and checks they read back.
func (t runTest) run(ctx context.Context, c *client.Client, dir string) error {
	p := path.Join(dir, fmt.Sprintf("%s_%s_%s", t.op, t.readType, t.writeType))
	want := t.content()
	w, err := c.Create(ctx, p, client.CreateOptions{WriteType: t.writeType, Recursive: true, NoShortCircuit: t.noShortCircuit})
	if err != nil {
		return err
	}
	if err := t.write(w, want); err != nil {
		w.Abort()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	r, err := c.Open(ctx, p, client.OpenOptions{ReadType: t.readType, NoShortCircuit: t.noShortCircuit})
	if err != nil {
		return err
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s read back %d bytes that differ from the %d written", p, len(got), len(want))
	}
	return nil
}

// content is what the operation writes: the numbers 0..19, big-endian,
// preceded by their count for BASIC_NON_BYTE_BUFFER.
func (t runTest) content() []byte {
	var b bytes.Buffer
	if t.op == opBasicNonByteBuffer {
		binary.Write(&b, binary.BigEndian, int32(testNumbers))
	}
	for i := range testNumbers {
		binary.Write(&b, binary.BigEndian, int32(i))
	}
	return b.Bytes()
}

// write writes data as one buffer (BASIC) or a byte at a time.
func (t runTest) write(w io.Writer, data []byte) error {
	if t.op == opBasic {
		_, err := w.Write(data)
		return err
	}
	for i := range data {
		if _, err := w.Write(data[i : i+1]); err != nil {
			return err
		}
	}
	return nil
}
