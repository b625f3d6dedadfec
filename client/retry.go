package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"google.golang.org/grpc/status"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/proto/halopb"
)

// backoffDelay is the sleep before retry number retry (0-based): base
// doubled per retry, capped at max, with "equal jitter": half of it fixed,
// half scaled by random in [0,1). The fixed half keeps a crowd of clients
// from spinning; the random half spreads them out after a failover.
func backoffDelay(retry int, base, max time.Duration, random float64) time.Duration {
	d := base
	for i := 0; i < retry && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(random*float64(d-half))
}

// nextStep says what the retry loop does after a failed attempt.
type nextStep int

const (
	stepFail     nextStep = iota // return the error as it is
	stepRetry                    // back off, re-resolve the leader, try again
	stepRedirect                 // NotLeader with a hint: try the hint at once
)

// failure is a classified attempt error.
type failure struct {
	step nextStep
	err  *fserr.Error
	// mayHaveApplied is set when the request may have reached the master
	// and taken effect even though no answer came back.
	mayHaveApplied bool
}

// classify decides how the retry loop treats err, an error returned by a
// gRPC call.
func classify(err error) failure {
	if errors.Is(err, errNotSent) {
		return failure{step: stepRetry, err: asTyped(err)}
	}
	typed := asTyped(rpcerr.FromGRPC(err))
	st, _ := status.FromError(err)
	fromMaster := hasErrorDetail(st)
	switch typed.Code {
	case fserr.NotLeader:
		// The master refused before doing anything.
		if typed.LeaderHint != "" {
			return failure{step: stepRedirect, err: typed}
		}
		return failure{step: stepRetry, err: typed}
	case fserr.Unavailable:
		if !fromMaster && neverSent(st.Message()) {
			return failure{step: stepRetry, err: typed}
		}
		// A broken connection, or a master that gave up mid-request:
		// the request may have been applied.
		return failure{step: stepRetry, err: typed, mayHaveApplied: true}
	case fserr.OutcomeUnknown:
		if typed.Final {
			return failure{step: stepFail, err: typed}
		}
		return failure{step: stepRetry, err: typed, mayHaveApplied: true}
	}
	return failure{step: stepFail, err: typed}
}

func asTyped(err error) *fserr.Error {
	var e *fserr.Error
	if errors.As(err, &e) {
		return e
	}
	return &fserr.Error{Code: fserr.Internal, Message: err.Error()}
}

func hasErrorDetail(st *status.Status) bool {
	for _, d := range st.Details() {
		if _, ok := d.(*halopb.ErrorDetail); ok {
			return true
		}
	}
	return false
}

// neverSent reports whether a transport-level Unavailable message says the
// connection was never established, so no request bytes left the client.
func neverSent(msg string) bool {
	for _, marker := range []string{
		"Error while dialing",
		"connect: connection refused",
		"produced zero addresses",
		"name resolver error",
		"no such host",
	} {
		if strings.Contains(msg, marker) {
			return true
		}
	}
	return false
}

// callKind separates mutations, whose lost answers are "outcome unknown",
// from reads, which are simply unavailable when the retries run out.
type callKind int

const (
	read callKind = iota
	mutation
)

// attemptFunc makes one attempt against one master.
type attemptFunc func(ctx context.Context, mc *masterConn) error

// invoke runs attempt against the leader until it succeeds, fails with an
// error retrying cannot fix, or the retry budget (RetryMaxDuration or the
// caller's ctx) runs out.
func (c *Client) invoke(ctx context.Context, kind callKind, name string, attempt attemptFunc) error {
	start := time.Now()
	budgetEnd := start.Add(c.opts.RetryMaxDuration)
	var (
		uncertain bool         // an earlier attempt may have taken effect
		lastErr   *fserr.Error // why the latest attempt failed
		hint      string       // a leader hint to follow without sleeping
		retries   int
		attempts  int
	)
	for {
		addr := hint
		followingHint := hint != ""
		hint = ""
		if addr == "" {
			var err error
			addr, err = c.resolveLeader(ctx)
			if err != nil {
				lastErr = asTyped(err)
			}
		}
		if addr != "" {
			attempts++
			f, ok := c.attemptOnce(ctx, addr, attempt)
			if ok {
				return nil
			}
			if kind == mutation && f.mayHaveApplied {
				uncertain = true
			}
			lastErr = f.err
			if f.step == stepFail {
				return f.err
			}
			if ctx.Err() != nil {
				return c.exhausted(kind, name, uncertain, attempts, start, lastErr, ctx.Err())
			}
			c.logger.Debug("attempt failed", "call", name, "master", addr, "attempt", attempts, "error", f.err)
			if f.step == stepRedirect && !followingHint {
				hint = f.err.LeaderHint
				continue
			}
		}
		sleep := backoffDelay(retries, c.opts.RetryBaseSleep, c.opts.RetryMaxSleep, rand.Float64())
		retries++
		if time.Now().Add(sleep).After(budgetEnd) {
			return c.exhausted(kind, name, uncertain, attempts, start, lastErr, nil)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return c.exhausted(kind, name, uncertain, attempts, start, lastErr, ctx.Err())
		case <-timer.C:
		}
	}
}

// attemptOnce runs one attempt against addr and reports the outcome to the
// finder. ok is true on success.
func (c *Client) attemptOnce(ctx context.Context, addr string, attempt attemptFunc) (failure, bool) {
	mc, err := c.conn(addr)
	if err != nil {
		// A closed client or an unparsable address: retrying cannot help.
		return failure{step: stepFail, err: asTyped(err)}, false
	}
	attemptCtx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	err = attempt(attemptCtx, mc)
	cancel()
	if err == nil {
		c.finder.Report(addr, nil)
		return failure{}, true
	}
	f := classify(err)
	if ctx.Err() == nil {
		// An attempt the caller cancelled says nothing about the master.
		c.finder.Report(addr, f.err)
	}
	return f, false
}

// resolveLeader asks the finder, within one attempt's deadline.
func (c *Client) resolveLeader(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	addr, err := c.finder.Leader(ctx)
	if err != nil {
		return "", err
	}
	if addr == "" {
		return "", fserr.New(fserr.Unavailable, "no leading master found")
	}
	return addr, nil
}

// exhausted builds the error for a call whose retries ran out: a mutation
// that may have been applied is OutcomeUnknown, never a failure.
func (c *Client) exhausted(kind callKind, name string, uncertain bool, attempts int, start time.Time, lastErr *fserr.Error, cause error) error {
	why := "retry budget exhausted"
	if cause != nil {
		why = cause.Error()
	}
	last := "no leading master found"
	if lastErr != nil {
		last = lastErr.Message
	}
	elapsed := time.Since(start).Round(time.Millisecond)
	if kind == mutation && uncertain {
		return fserr.New(fserr.OutcomeUnknown,
			"%s: outcome unknown, the master may or may not have applied it (%s after %d attempts in %s; last error: %s)",
			name, why, attempts, elapsed, last)
	}
	if attempts == 0 {
		return fserr.New(fserr.Unavailable, "%s: no leading master found (%s after %s): %s", name, why, elapsed, last)
	}
	return fserr.New(fserr.Unavailable, "%s: no master served the request (%s after %d attempts in %s; last error: %s)",
		name, why, attempts, elapsed, last)
}

// Leader returns the RPC address of the leading master, polling with
// backoff until one is found, ctx ends or RetryMaxDuration passes.
func (c *Client) Leader(ctx context.Context) (string, error) {
	budgetEnd := time.Now().Add(c.opts.RetryMaxDuration)
	for retry := 0; ; retry++ {
		addr, err := c.resolveLeader(ctx)
		if err == nil {
			return addr, nil
		}
		sleep := backoffDelay(retry, c.opts.RetryBaseSleep, c.opts.RetryMaxSleep, rand.Float64())
		if ctx.Err() != nil || time.Now().Add(sleep).After(budgetEnd) {
			return "", asTyped(err)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", asTyped(err)
		case <-timer.C:
		}
	}
}
