package e2e

import (
	"crypto/sha256"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/workers"
)

// The real Hadoop client (FsShell over alluxio.hadoop.FileSystem from
// alluxio-shaded-client 2.9.3) moves files with data through Halo's Raft
// masters and workers: what -put stored, -cat and -get return byte for
// byte, and -ls -R, -du and -count report the sizes it wrote.
func TestHadoopFsShellDataCommands(t *testing.T) {
	c, conf := startAlluxioCompatibleRaft(t, nil)
	// Alluxio's client reserves a whole block per write; 1 MiB blocks keep
	// the reservation small and give the big file several blocks.
	startWorkers(t, c, 3, func(w *workers.Worker) { w.Props["alluxio.worker.tieredstore.level0.dirs.quota"] = "512MB" })
	maps.Copy(conf, map[string]string{"alluxio.user.block.size.bytes.default": "1MB"})
	hadoop := func(args ...string) string {
		t.Helper()
		out, errOut, code := alluxio.HadoopFS(t, conf, args...)
		if code != 0 {
			t.Fatalf("hadoop fs %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}

	local := t.TempDir()
	big, small := randomBytes(41, 3<<20+7), []byte("a small file\n")
	bigPath, smallPath := filepath.Join(local, "big.bin"), filepath.Join(local, "small.txt")
	for path, data := range map[string][]byte{bigPath: big, smallPath: small} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	hadoop("-mkdir", "-p", "alluxio:///hd/in")
	hadoop("-put", bigPath, "alluxio:///hd/in/big.bin")
	hadoop("-put", smallPath, "alluxio:///hd/in/small.txt")
	sameBytes(t, "hadoop fs -cat big.bin", []byte(hadoop("-cat", "alluxio:///hd/in/big.bin")), big)
	sameBytes(t, "hadoop fs -cat small.txt", []byte(hadoop("-cat", "alluxio:///hd/in/small.txt")), small)

	got := filepath.Join(local, "got.bin")
	hadoop("-get", "alluxio:///hd/in/big.bin", got)
	fetched, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "hadoop fs -get big.bin", fetched, big)

	// Under NOSASL, as with Alluxio, files have no owner or group.
	wantMatchingLines(t, "hadoop fs -ls -R", hadoop("-ls", "-R", "alluxio:///hd"),
		`^d\S+\s+-\s.*\s\d+ \S+ \S+ alluxio:///hd/in$`,
		`^-rw-r--r--\s+\d+\s.*\s3145735 \S+ \S+ alluxio:///hd/in/big.bin$`,
		`^-rw-r--r--\s+\d+\s.*\s13 \S+ \S+ alluxio:///hd/in/small.txt$`)
	wantMatchingLines(t, "hadoop fs -du", hadoop("-du", "alluxio:///hd/in"),
		`^3145735\s+\d+\s+alluxio:///hd/in/big.bin$`,
		`^13\s+\d+\s+alluxio:///hd/in/small.txt$`)
	// DIR_COUNT FILE_COUNT CONTENT_SIZE PATHNAME: /hd and /hd/in, two files.
	wantMatchingLines(t, "hadoop fs -count", hadoop("-count", "alluxio:///hd"),
		`^\s*2\s+2\s+3145748 alluxio:///hd$`)

	hadoop("-mv", "alluxio:///hd/in/big.bin", "alluxio:///hd/moved.bin")
	sameBytes(t, "hadoop fs -cat after -mv", []byte(hadoop("-cat", "alluxio:///hd/moved.bin")), big)

	hadoop("-rm", "-r", "alluxio:///hd/in")
	listing := hadoop("-ls", "-R", "alluxio:///hd")
	wantMatchingLines(t, "hadoop fs -ls -R after -rm -r", listing,
		`^-rw-r--r--\s+\d+\s.*\s3145735 \S+ \S+ alluxio:///hd/moved.bin$`)
	if strings.Contains(listing, "alluxio:///hd/in") {
		t.Errorf("hadoop fs -ls -R still lists the folder removed with -rm -r:\n%s", listing)
	}
}

// sameBytes compares by SHA-256 so that a failure does not print megabytes.
func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if g, w := sha256.Sum256(got), sha256.Sum256(want); g != w {
		t.Errorf("%s: %d bytes with SHA-256 %x, want %d bytes with %x", what, len(got), g, len(want), w)
	}
}

// wantMatchingLines fails t for each pattern no line of out matches.
func wantMatchingLines(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		if !slices.ContainsFunc(lines, re.MatchString) {
			t.Errorf("%s: no line matches %q in:\n%s", what, p, out)
		}
	}
}
