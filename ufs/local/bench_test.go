package local

import (
	"testing"

	"github.com/halo-fs/halo/ufs/ufstest"
)

// BenchmarkLargeObject writes and reads 1 GiB through the local adapter:
//
//	go test -run='^$' -bench=LargeObject -benchtime=1x ./ufs/local/
func BenchmarkLargeObject(b *testing.B) {
	s, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ufstest.BenchmarkLargeFile(b, s, 1<<30)
}
