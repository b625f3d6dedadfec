package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
)

func TestOptionsValidate(t *testing.T) {
	valid := Options{Operation: OpCreateFile}.withDefaults()
	tests := []struct {
		name    string
		change  func(o *Options)
		wantErr string
	}{
		{"defaults", func(*Options) {}, ""},
		{"every operation", func(o *Options) { o.Operation = OpDeleteFile }, ""},
		{"unknown operation", func(o *Options) { o.Operation = "Chmod" }, "unknown operation"},
		{"operation is case-sensitive", func(o *Options) { o.Operation = "createfile" }, "unknown operation"},
		{"no threads", func(o *Options) { o.Threads = -1 }, "threads"},
		{"negative duration", func(o *Options) { o.Duration = -time.Second }, "duration"},
		{"negative warmup", func(o *Options) { o.Warmup = -time.Second }, "warmup"},
		{"no fixed files", func(o *Options) { o.FixedCount = -3 }, "fixed count"},
		{"relative base", func(o *Options) { o.BasePath = "bench" }, "absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			tt.change(&o)
			err := o.validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("validate = %v, want an error about %q", err, tt.wantErr)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{Operation: OpListDir}.withDefaults()
	if o.Threads != DefaultThreads || o.Duration != DefaultDuration || o.BasePath != DefaultBasePath ||
		o.FixedCount != DefaultFixedCount || o.ProgressInterval != DefaultProgressInterval || o.Warmup != 0 {
		t.Errorf("withDefaults = %+v", o)
	}
}

func TestSummarize(t *testing.T) {
	start := time.Unix(1000, 0)
	window := timeWindow{measureFrom: start, end: start.Add(10 * time.Second)}
	fast, slow := &worker{}, &worker{}
	for range 99 {
		fast.latency.Record(time.Millisecond)
	}
	fast.latency.Record(100 * time.Millisecond)
	fast.ops, fast.errors = 990, 10
	fast.finished = start.Add(10 * time.Second)
	// The slow thread spent 5s refilling: its rate is over the other 5s.
	slow.latency.Record(2 * time.Millisecond)
	slow.ops = 500
	slow.paused = 5 * time.Second
	slow.finished = start.Add(10*time.Second + 100*time.Millisecond)

	res := summarize(Options{Operation: OpDeleteFile, Threads: 2}, []*worker{fast, slow}, window)
	if res.Ops != 1490 || res.Errors != 10 {
		t.Errorf("ops %d errors %d, want 1490 and 10", res.Ops, res.Errors)
	}
	if res.Duration != 10100*time.Millisecond {
		t.Errorf("duration %v, want the slowest thread's 10.1s", res.Duration)
	}
	wantRate := 990.0/10 + 500.0/5.1
	if diff := res.OpsPerSec - wantRate; diff > 0.01 || diff < -0.01 {
		t.Errorf("ops/s %.3f, want %.3f", res.OpsPerSec, wantRate)
	}
	if res.P50 < 990*time.Microsecond || res.P50 > 1010*time.Microsecond {
		t.Errorf("p50 %v, want about 1ms", res.P50)
	}
	if res.P99 < 990*time.Microsecond || res.P99 > 2020*time.Microsecond {
		t.Errorf("p99 %v, want between 1ms and 2ms (rank 100 of 101)", res.P99)
	}
	if res.Max != 100*time.Millisecond {
		t.Errorf("max %v, want 100ms", res.Max)
	}
}

func TestSummarizeCancelledDuringWarmup(t *testing.T) {
	start := time.Unix(1000, 0)
	w := &worker{finished: start.Add(-time.Second)}
	res := summarize(Options{Operation: OpCreateFile, Threads: 1}, []*worker{w}, timeWindow{measureFrom: start, end: start.Add(time.Second)})
	if res.Duration != 0 || res.OpsPerSec != 0 || res.Ops != 0 {
		t.Errorf("summary of a run that never measured: %+v", res)
	}
}

func TestWriteSummaryAndJSON(t *testing.T) {
	res := Result{
		Operation: OpGetFileStatus, Threads: 8, Ops: 123456, Errors: 2,
		Duration: 30*time.Second + 4*time.Millisecond, OpsPerSec: 4115.2,
		P50: 1234567 * time.Nanosecond, P99: 9876543 * time.Nanosecond, Max: 1234567890 * time.Nanosecond,
	}
	var b bytes.Buffer
	writeSummary(&b, res)
	want := "" +
		"Operation:   GetFileStatus\n" +
		"Threads:     8\n" +
		"Duration:    30.004s\n" +
		"Operations:  123456 (errors: 2)\n" +
		"Throughput:  4115.2 ops/s\n" +
		"Latency:     p50 1.23ms, p99 9.88ms, max 1.235s\n"
	if b.String() != want {
		t.Errorf("writeSummary =\n%s\nwant\n%s", b.String(), want)
	}

	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back["operation"] != OpGetFileStatus || back["p99_ns"] != float64(9876543) || back["ops_per_sec"] != 4115.2 {
		t.Errorf("JSON result = %s", raw)
	}
}

func TestCommandRejectsBadFlagsBeforeDialing(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"master"}, `required flag(s) "operation" not set`},
		{[]string{"master", "--operation", "Chmod"}, "unknown operation"},
		{[]string{"master", "--operation", OpCreateFile, "--threads", "0"}, "threads"},
		{[]string{"master", "--operation", OpCreateFile, "--duration", "-1s"}, "duration"},
	}
	for _, tt := range tests {
		dialed := false
		dial := func(context.Context) (*client.Client, error) {
			dialed = true
			return nil, errors.New("no master in unit tests")
		}
		var out, errOut bytes.Buffer
		cmd := NewCommand(dial, nil, &out)
		cmd.SetArgs(tt.args)
		cmd.SetErr(&errOut)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("bench %v: %v, want an error about %q", tt.args, err, tt.wantErr)
		}
		if dialed {
			t.Errorf("bench %v dialed the master before rejecting its flags", tt.args)
		}
	}
}
