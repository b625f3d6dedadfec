package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/halo-fs/halo/client"
)

// parseDataArgs parses args as `bench data` does, without running it.
func parseDataArgs(args ...string) (DataOptions, error) {
	var fl dataFlags
	f := pflag.NewFlagSet("data", pflag.ContinueOnError)
	f.SetOutput(&bytes.Buffer{})
	fl.register(f)
	if err := f.Parse(args); err != nil {
		return DataOptions{}, err
	}
	return fl.parse()
}

func TestDataFlagsDefaults(t *testing.T) {
	o, err := parseDataArgs("--operation", "write")
	if err != nil {
		t.Fatal(err)
	}
	if o.Clients != 1 || o.Size != 1<<30 || o.WriteType != client.MustCache || o.ReadType != client.Cache ||
		o.NoShortCircuit || o.Cold || o.BasePath != DefaultDataBasePath || o.RawDir != DefaultRawDir || o.BufferSize != 1<<20 {
		t.Errorf("defaults: %+v", o)
	}
}

func TestDataFlagsParse(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(o DataOptions) bool
	}{
		{"16 clients of 64 MiB", []string{"--operation", "read", "--clients", "16", "--size", "64MiB"},
			func(o DataOptions) bool { return o.Clients == 16 && o.Size == 64<<20 }},
		{"Alluxio's size units are binary", []string{"--operation", "write", "--size", "1GB", "--buffer-size", "256KB"},
			func(o DataOptions) bool { return o.Size == 1<<30 && o.BufferSize == 256<<10 }},
		{"a cold read writes its files through to the UFS", []string{"--operation", "read", "--cold"},
			func(o DataOptions) bool { return o.Cold && o.WriteType == client.CacheThrough }},
		{"a cold read of THROUGH files", []string{"--operation", "read", "--cold", "--write-type", "through"},
			func(o DataOptions) bool { return o.WriteType == client.Through }},
		{"remote", []string{"--operation", "read", "--no-short-circuit", "--read-type", "NO_CACHE"},
			func(o DataOptions) bool { return o.NoShortCircuit && o.ReadType == client.NoCache }},
		{"no raw baseline", []string{"--operation", "write", "--no-raw"},
			func(o DataOptions) bool { return o.RawDir == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseDataArgs(tt.args...)
			if err != nil {
				t.Fatalf("%v: %v", tt.args, err)
			}
			if !tt.check(o) {
				t.Errorf("%v gave %+v", tt.args, o)
			}
		})
	}
}

func TestDataFlagsRefused(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{}, "unknown data operation"},
		{[]string{"--operation", "append"}, "unknown data operation"},
		{[]string{"--operation", "write", "--clients", "0"}, "clients"},
		{[]string{"--operation", "write", "--size", "0"}, "bad size"},
		{[]string{"--operation", "write", "--size", "lots"}, "bad size"},
		{[]string{"--operation", "write", "--buffer-size", "2GB"}, "over 1GiB"},
		{[]string{"--operation", "write", "--write-type", "SOMETIMES"}, "unknown write type"},
		{[]string{"--operation", "read", "--read-type", "PREFETCH"}, "unknown read type"},
		{[]string{"--operation", "write", "--cold"}, "reads only"},
		{[]string{"--operation", "read", "--cold", "--write-type", "MUST_CACHE"}, "in the UFS"},
		{[]string{"--operation", "write", "--base", "bench"}, "absolute"},
	}
	for _, tt := range tests {
		_, err := parseDataArgs(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%v: %v, want an error about %q", tt.args, err, tt.wantErr)
		}
	}
}

func TestDataCommandRefusesFlagsBeforeDialing(t *testing.T) {
	dialed := false
	dial := func(context.Context) (*client.Client, error) {
		dialed = true
		return nil, errors.New("no cluster in unit tests")
	}
	cmd := NewCommand(dial, nil, &bytes.Buffer{})
	cmd.SetArgs([]string{"data", "--operation", "write", "--size", "-1"})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "bad size") {
		t.Errorf("bench data --size -1: %v", err)
	}
	if dialed {
		t.Error("bench data dialed before rejecting its flags")
	}
}

func TestWriteDataSummary(t *testing.T) {
	tests := []struct {
		name string
		res  DataResult
		want []string
		not  []string
	}{
		{"remote write", DataResult{Operation: DataWrite, Clients: 16, SizePerClient: 64 << 20, TotalBytes: 1 << 30,
			WriteType: "MUST_CACHE", Seconds: 2.5, MBps: 429.5, RawMBps: 859, RawRatio: 0.5},
			[]string{"write (through the worker's stream, write type MUST_CACHE)", "16 × 64MiB = 1GiB", "Time:        2.50s",
				"Throughput:  430 MB/s", "Raw medium:  859 MB/s (Halo at 50%)"},
			[]string{"UFS alone"}},
		{"cold short-circuit read", DataResult{Operation: DataRead, Clients: 1, SizePerClient: 1 << 30, TotalBytes: 1 << 30,
			WriteType: "CACHE_THROUGH", ReadType: "CACHE", ShortCircuit: true, Cold: true, MBps: 300, UFSMBps: 600, UFSRatio: 0.5},
			[]string{"read (short-circuit, cold (from the UFS), read type CACHE, write type CACHE_THROUGH)", "1 × 1GiB = 1GiB",
				"UFS alone:   600 MB/s (Halo at 50%)"},
			[]string{"Raw medium"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			writeDataSummary(&out, tt.res)
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("summary lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out.String(), n) {
					t.Errorf("summary has %q:\n%s", n, out.String())
				}
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{1 << 30: "1GiB", 64 << 20: "64MiB", 3 << 10: "3KiB", 1000: "1000B", 3<<20 + 1: "3145729B"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRateAndRatio(t *testing.T) {
	if got := rate(2e6, 2e9); got != 1 {
		t.Errorf("2 MB in 2 s = %v MB/s, want 1", got)
	}
	if rate(1, 0) != 0 || ratio(5, 0) != 0 {
		t.Error("a rate or ratio over nothing is not zero")
	}
	if got := ratio(300, 600); got != 0.5 {
		t.Errorf("ratio = %v", got)
	}
}

func TestRawBaselineLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, op := range DataOperations {
		run := &dataRun{opts: DataOptions{Operation: op, Clients: 3, Size: 5<<10 + 7, RawDir: dir, BufferSize: 1 << 10}, payload: payload(1 << 10)}
		if _, err := run.rawBaseline(); err != nil {
			t.Fatalf("%s: %v", op, err)
		}
	}
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Errorf("raw baseline left %v (%v)", left, err)
	}
}

func TestReadAllChecksTheLength(t *testing.T) {
	if err := readAll(strings.NewReader("12345"), 2, 5, "f"); err != nil {
		t.Errorf("whole file: %v", err)
	}
	if err := readAll(strings.NewReader("1234"), 2, 5, "f"); err == nil || !strings.Contains(err.Error(), "read 4 bytes of f, want 5") {
		t.Errorf("short file: %v", err)
	}
}
