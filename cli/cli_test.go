package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
)

func TestNormalizePath(t *testing.T) {
	tests := []struct {
		arg, want string
		wantErr   bool
	}{
		{arg: "/a/b", want: "/a/b"},
		{arg: "/a//b/", want: "/a/b"},
		{arg: "/", want: "/"},
		{arg: "alluxio:///p", want: "/p"},
		{arg: "alluxio://m1:19998/p/q", want: "/p/q"},
		{arg: "alluxio://m1:19998,m2:19998/p", want: "/p"},
		{arg: "alluxio://zk@zk1:2181/p", want: "/p"},
		{arg: "alluxio://m1:19998", want: "/"},
		{arg: "/a/../b", want: "/b"},
		{arg: "relative/p", wantErr: true},
		{arg: "", wantErr: true},
		{arg: "hdfs://nn/p", wantErr: true},
	}
	for _, tt := range tests {
		got, err := normalizePath(tt.arg)
		if tt.wantErr {
			if err == nil {
				t.Errorf("normalizePath(%q) = %q, want an error", tt.arg, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normalizePath(%q) = %q, %v; want %q", tt.arg, got, err, tt.want)
		}
	}
}

func TestParseOwnerGroup(t *testing.T) {
	tests := []struct {
		arg, owner, group string
		wantErr           bool
	}{
		{arg: "alice", owner: "alice"},
		{arg: "alice:staff", owner: "alice", group: "staff"},
		{arg: "svc-etl$:data_eng", owner: "svc-etl$", group: "data_eng"},
		{arg: "alice:", wantErr: true},
		{arg: ":staff", wantErr: true},
		{arg: "-alice", wantErr: true},
		{arg: "a:b:c", wantErr: true},
		{arg: "al ice", wantErr: true},
	}
	for _, tt := range tests {
		owner, group, err := parseOwnerGroup(tt.arg)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseOwnerGroup(%q) = %q, %q; want an error", tt.arg, owner, group)
			}
			continue
		}
		if err != nil || owner != tt.owner || group != tt.group {
			t.Errorf("parseOwnerGroup(%q) = %q, %q, %v; want %q, %q", tt.arg, owner, group, err, tt.owner, tt.group)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		arg     string
		want    uint32
		wantErr bool
	}{
		{arg: "755", want: 0o755},
		{arg: "0644", want: 0o644},
		{arg: "0", want: 0},
		{arg: "a+rwx", want: 0o777},
		{arg: "u=rwx,g=rx,o=rx", want: 0o755},
		{arg: "u=rw,go=r", want: 0o644},
		{arg: "+x", want: 0o111},
		{arg: "a=rwx,o-w", want: 0o775},
		{arg: "888", wantErr: true},
		{arg: "1777", wantErr: true},
		{arg: "u", wantErr: true},
		{arg: "q+r", wantErr: true},
		{arg: "u+z", wantErr: true},
		{arg: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseMode(tt.arg)
		if tt.wantErr {
			if err == nil {
				t.Errorf("parseMode(%q) = %o, want an error", tt.arg, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseMode(%q) = %o, %v; want %o", tt.arg, got, err, tt.want)
		}
	}
}

func TestParseMountOptions(t *testing.T) {
	got, err := parseMountOptions([]string{"aws.accessKeyId=AK", "alluxio.underfs.s3.endpoint=http://h:9000/x=y"})
	if err != nil || got["aws.accessKeyId"] != "AK" || got["alluxio.underfs.s3.endpoint"] != "http://h:9000/x=y" {
		t.Errorf("parseMountOptions = %v, %v", got, err)
	}
	if _, err := parseMountOptions([]string{"novalue"}); err == nil {
		t.Error("parseMountOptions accepted an option without =")
	}
}

func TestEvaluateTest(t *testing.T) {
	file := &halopb.FileInfo{Length: 5}
	emptyFile := &halopb.FileInfo{}
	dir := &halopb.FileInfo{IsDirectory: true, ChildCount: 2}
	emptyDir := &halopb.FileInfo{IsDirectory: true}
	notFound := fserr.New(fserr.NotFound, "no such path")
	down := fserr.New(fserr.Unavailable, "no master")
	tests := []struct {
		flag    string
		info    *halopb.FileInfo
		err     error
		want    bool
		wantErr bool
	}{
		{"d", dir, nil, true, false},
		{"d", file, nil, false, false},
		{"f", file, nil, true, false},
		{"f", dir, nil, false, false},
		{"e", emptyDir, nil, true, false},
		{"e", nil, notFound, false, false},
		{"d", nil, notFound, false, false},
		{"s", dir, nil, true, false},
		{"s", emptyDir, nil, false, false},
		{"s", file, nil, false, false},
		{"z", emptyFile, nil, true, false},
		{"z", file, nil, false, false},
		{"z", emptyDir, nil, false, false},
		{"e", nil, down, false, true},
	}
	for _, tt := range tests {
		got, err := evaluateTest(tt.flag, tt.info, tt.err)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("evaluateTest(-%s, %v, %v) = %v, %v; want %v (error %v)", tt.flag, tt.info, tt.err, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{&ExitCodeError{Code: 1}, 1},
		{&ExitCodeError{Code: 2}, 2},
		{errors.New("boom"), 1},
		{fserr.New(fserr.NotFound, "no /a"), 1},
		{fserr.New(fserr.OutcomeUnknown, "create /a: outcome unknown"), ExitCodeOutcomeUnknown},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// unreachableEnv is an Env whose Dial always fails, to run argument parsing
// and error printing without a master.
func unreachableEnv(out, errOut *bytes.Buffer) *Env {
	return &Env{
		Dial: func(context.Context) (*client.Client, error) {
			return nil, fserr.New(fserr.Unavailable, "no master reachable")
		},
		Out: out, Err: errOut,
	}
}

func TestExecuteArgumentsAndErrors(t *testing.T) {
	tests := []struct {
		name       string
		admin      bool
		args       []string
		wantCode   int
		wantStderr string // substring; "" means stderr must be empty
	}{
		{"dial failure is one line", false, []string{"ls", "/"}, 1, "no master reachable\n"},
		{"ls -h is human-readable, not help", false, []string{"ls", "-Rh", "/"}, 1, "no master reachable"},
		{"count -h parses", false, []string{"count", "-h", "/"}, 1, "no master reachable"},
		{"du -sh parses", false, []string{"du", "-sh", "/"}, 1, "no master reachable"},
		{"help still works", false, []string{"ls", "--help"}, 0, ""},
		{"test needs one flag", false, []string{"test", "/p"}, 1, "exactly one of"},
		{"test rejects two flags", false, []string{"test", "-d", "-f", "/p"}, 1, "exactly one of"},
		{"bad path", false, []string{"mkdir", "relative"}, 1, "paths must be absolute"},
		{"bad chown", false, []string{"chown", "a:b:c", "/p"}, 1, "failed to parse a:b:c as user or user:group"},
		{"bad chmod", false, []string{"chmod", "999", "/p"}, 1, "invalid mode"},
		{"mount needs 0 or 2 args", false, []string{"mount", "/p"}, 1, "mount takes 0 or 2 arguments, not 1"},
		{"bad mount option", false, []string{"mount", "--option", "x", "/p", "s3://b/"}, 1, "invalid mount option"},
		{"unknown command", false, []string{"frobnicate"}, 1, "unknown command"},
		{"report unknown category", true, []string{"report", "weird"}, 1, "unknown report category"},
		{"report capacity asks the masters", true, []string{"report", "capacity"}, 1, "no master reachable"},
		{"report capacity takes Alluxio's one-dash filters", true, []string{"report", "capacity", "-live"}, 1, "no master reachable"},
		{"report capacity takes one filter", true, []string{"report", "capacity", "-live", "-lost"}, 1, "too many arguments"},
		{"report metrics unsupported", true, []string{"report", "metrics"}, 1, "not supported"},
		{"checkpoint dial failure", true, []string{"journal", "checkpoint"}, 1, "no master reachable"},
		{"quorum info takes Alluxio's one-dash options", true, []string{"journal", "quorum", "info", "-domain", "MASTER"}, 1, "no master reachable"},
		{"quorum remove needs an address", true, []string{"journal", "quorum", "remove", "-domain", "MASTER"}, 1, "missing -address"},
		{"quorum remove needs a domain", true, []string{"journal", "quorum", "remove", "-address", "m2:19200"}, 1, "missing -domain"},
		{"quorum job master domain", true, []string{"journal", "quorum", "info", "-domain", "JOB_MASTER"}, 1, "one journal domain"},
		{"quorum elect unknown option", true, []string{"journal", "quorum", "elect", "-host", "m2"}, 1, "unknown shorthand flag"},
		{"quorum elect stray argument", true, []string{"journal", "quorum", "elect", "-address", "m2:19200", "now"}, 1, `unexpected argument "now"`},
		{"quorum help", true, []string{"journal", "quorum", "elect", "-h"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := unreachableEnv(&out, &errOut)
			cmd := NewFSCommand(env)
			if tt.admin {
				cmd = NewFSAdminCommand(env)
			}
			cmd.SetOut(&out)
			cmd.SetErr(&errOut)
			code := Execute(context.Background(), cmd, tt.args, &errOut)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, errOut.String())
			}
			if tt.wantStderr == "" {
				if errOut.Len() != 0 {
					t.Errorf("stderr %q, want nothing", errOut.String())
				}
				return
			}
			if !strings.Contains(errOut.String(), tt.wantStderr) {
				t.Errorf("stderr %q, want it to contain %q", errOut.String(), tt.wantStderr)
			}
			if strings.Count(strings.TrimSuffix(errOut.String(), "\n"), "\n") != 0 {
				t.Errorf("error is not one line: %q", errOut.String())
			}
		})
	}
}

func TestTestCommandFalseIsSilentExitOne(t *testing.T) {
	// A false answer is an ExitCodeError, which Execute does not print.
	var errOut bytes.Buffer
	cmd := newGroup("x", "")
	cmd.AddCommand(&cobra.Command{
		Use:  "false",
		RunE: func(*cobra.Command, []string) error { return &ExitCodeError{Code: 1} },
	})
	if code := Execute(context.Background(), cmd, []string{"false"}, &errOut); code != 1 || errOut.Len() != 0 {
		t.Errorf("Execute = %d with stderr %q, want 1 and nothing printed", code, errOut.String())
	}
}

func TestShortCircuitOffReachesEveryDataPath(t *testing.T) {
	for _, off := range []bool{false, true} {
		e := &Env{NoShortCircuit: off}
		if got := e.createOptions().NoShortCircuit; got != off {
			t.Errorf("Env.NoShortCircuit %v: writes NoShortCircuit = %v", off, got)
		}
		if got := e.openOptions().NoShortCircuit; got != off {
			t.Errorf("Env.NoShortCircuit %v: reads NoShortCircuit = %v", off, got)
		}
		plan, err := testPlan("", "", "")
		if err != nil {
			t.Fatal(err)
		}
		for _, test := range e.withShortCircuit(plan) {
			if test.noShortCircuit != off {
				t.Fatalf("Env.NoShortCircuit %v: runTests' %+v", off, test)
			}
		}
	}
}
