package blockstore

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// dropPageCache asks the kernel to forget a synced file's cached pages,
// so that the next read comes from the device. It touches only that file.
func dropPageCache(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		b.Fatal(err)
	}
}
