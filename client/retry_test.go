package client

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
)

func TestBackoffDelay(t *testing.T) {
	const base, max = 50 * time.Millisecond, 3 * time.Second
	tests := []struct {
		retry  int
		random float64
		want   time.Duration
	}{
		{retry: 0, random: 0, want: 25 * time.Millisecond},
		{retry: 0, random: 0.999999, want: 49999975 * time.Nanosecond},
		{retry: 1, random: 0, want: 50 * time.Millisecond},
		{retry: 1, random: 0.5, want: 75 * time.Millisecond},
		{retry: 3, random: 0, want: 200 * time.Millisecond},
		{retry: 6, random: 0, want: 1500 * time.Millisecond}, // 3.2s capped at 3s
		{retry: 6, random: 0.5, want: 2250 * time.Millisecond},
		{retry: 1000, random: 0, want: 1500 * time.Millisecond}, // no overflow
	}
	for _, tt := range tests {
		if got := backoffDelay(tt.retry, base, max, tt.random); got != tt.want {
			t.Errorf("backoffDelay(%d, random=%v) = %v, want %v", tt.retry, tt.random, got, tt.want)
		}
	}
}

func TestBackoffDelayStaysWithinBounds(t *testing.T) {
	const base, max = 50 * time.Millisecond, 3 * time.Second
	for retry := 0; retry < 20; retry++ {
		for _, r := range []float64{0, 0.25, 0.5, 0.75, 0.999} {
			d := backoffDelay(retry, base, max, r)
			if d < base/2 || d > max {
				t.Fatalf("backoffDelay(%d, %v) = %v, outside [%v, %v]", retry, r, d, base/2, max)
			}
		}
	}
}

func TestClassify(t *testing.T) {
	dialRefused := status.Error(codes.Unavailable,
		`connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`)
	tests := []struct {
		name           string
		err            error
		wantStep       nextStep
		wantCode       fserr.Code
		mayHaveApplied bool
	}{
		{"not leader with hint", rpcerr.ToGRPC(&fserr.Error{Code: fserr.NotLeader, Message: "standby", LeaderHint: "m2:19998"}),
			stepRedirect, fserr.NotLeader, false},
		{"not leader without hint", rpcerr.ToGRPC(fserr.New(fserr.NotLeader, "standby")),
			stepRetry, fserr.NotLeader, false},
		{"connection refused", dialRefused, stepRetry, fserr.Unavailable, false},
		{"connection broke mid-call", status.Error(codes.Unavailable, "error reading from server: EOF"),
			stepRetry, fserr.Unavailable, true},
		{"master says unavailable", rpcerr.ToGRPC(fserr.New(fserr.Unavailable, "stepping down")),
			stepRetry, fserr.Unavailable, true},
		{"deadline exceeded", status.Error(codes.DeadlineExceeded, "context deadline exceeded"),
			stepRetry, fserr.OutcomeUnknown, true},
		{"master says outcome unknown", rpcerr.ToGRPC(fserr.New(fserr.OutcomeUnknown, "lost leadership")),
			stepRetry, fserr.OutcomeUnknown, true},
		{"master says outcome unknown for good", rpcerr.ToGRPC(&fserr.Error{Code: fserr.OutcomeUnknown, Message: "forgotten id", Final: true}),
			stepFail, fserr.OutcomeUnknown, false},
		{"not found", rpcerr.ToGRPC(fserr.New(fserr.NotFound, "no /a")), stepFail, fserr.NotFound, false},
		{"already exists", rpcerr.ToGRPC(fserr.New(fserr.AlreadyExists, "/a exists")), stepFail, fserr.AlreadyExists, false},
		{"permission denied", rpcerr.ToGRPC(fserr.New(fserr.PermissionDenied, "no")), stepFail, fserr.PermissionDenied, false},
		{"invalid path", rpcerr.ToGRPC(fserr.New(fserr.InvalidPath, "a//")), stepFail, fserr.InvalidPath, false},
		{"unimplemented", status.Error(codes.Unimplemented, "unknown method"), stepFail, fserr.Unimplemented, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := classify(tt.err)
			if f.step != tt.wantStep || f.err.Code != tt.wantCode || f.mayHaveApplied != tt.mayHaveApplied {
				t.Errorf("classify = {step %v, code %v, mayHaveApplied %v}, want {step %v, code %v, mayHaveApplied %v}",
					f.step, f.err.Code, f.mayHaveApplied, tt.wantStep, tt.wantCode, tt.mayHaveApplied)
			}
		})
	}
}

func TestOpIDSource(t *testing.T) {
	random := bytes.NewReader([]byte{
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
	})
	src, err := newOpIDSource(random)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := src.clientID(), "0123456789abcdeffedcba9876543210"; got != want {
		t.Errorf("clientID = %s, want %s", got, want)
	}
	first := src.next()
	if first != (opID{hi: 0x0123456789abcdef, lo: 0xfedcba9876543210, seq: 1}) {
		t.Errorf("first id = %v", first)
	}

	// Concurrent callers never share a sequence number.
	const goroutines, each = 8, 500
	seen := make(chan uint64, goroutines*each)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				seen <- src.next().seq
			}
		}()
	}
	wg.Wait()
	close(seen)
	unique := map[uint64]bool{}
	for s := range seen {
		if unique[s] {
			t.Fatalf("sequence %d handed out twice", s)
		}
		unique[s] = true
	}
	if len(unique) != goroutines*each {
		t.Errorf("got %d ids, want %d", len(unique), goroutines*each)
	}
}

func TestOpIDSourceShortRandom(t *testing.T) {
	if _, err := newOpIDSource(bytes.NewReader([]byte{1, 2, 3})); err == nil {
		t.Error("newOpIDSource accepted 3 random bytes")
	}
}
