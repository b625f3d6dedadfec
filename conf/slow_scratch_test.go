package conf

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestScratchSlow(t *testing.T) {
	files, _ := filepath.Glob("/tmp/fl/*")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		lines := strings.Split(string(data), "\n")[1:]
		var args []string
		for _, l := range lines {
			if l == "" { continue }
			s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(l, "string("), ")"))
			if err != nil { t.Fatal(err) }
			args = append(args, s)
		}
		start := time.Now()
		opts := LoadOptions{Env: func(string) string { return "" }, Hostname: func() (string, error) { return "m2", nil }, CurrentUser: func() (string, error) { return "u", nil }, HA: args[3]}
		if k, v, err := ParseOverride(args[2]); err == nil { opts.Overrides = map[string]string{k: v} }
		build("dir", confFiles{site: []byte(args[0]), masters: []byte(args[1])}, opts)
		if el := time.Since(start); el > 20*time.Millisecond {
			t.Logf("%s: %v len %d %q", f, el, len(args[0]), args[0][:min(200, len(args[0]))])
		}
	}
}
