//go:build !linux

package blockstore

import "testing"

// dropPageCache does nothing here: disk reads may come from the cache.
func dropPageCache(*testing.B, string) {}
