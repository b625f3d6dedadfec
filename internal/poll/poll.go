// Package poll waits in tests for a condition to hold, by polling it until
// a deadline: the way tests synchronise with goroutines and processes they
// cannot be told about, instead of sleeping a guessed time.
package poll

import (
	"testing"
	"time"
)

// interval is short against any timeout a test gives, long enough not to
// spin on a loaded machine.
const interval = 5 * time.Millisecond

// Until polls cond until it holds, failing the test after timeout.
func Until(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}
