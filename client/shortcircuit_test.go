package client

import (
	"os"
	"testing"
)

func TestIsLocalHost(t *testing.T) {
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"localhost": true, hostname: true, "127.0.0.1": true, "127.0.0.3": true, "::1": true,
		// TEST-NET-1 and a name no machine has: never this host.
		"192.0.2.7": false, "worker.invalid": false, "": false,
	} {
		if got := isLocalHost(host); got != want {
			t.Errorf("isLocalHost(%q) = %v, want %v", host, got, want)
		}
	}
}
