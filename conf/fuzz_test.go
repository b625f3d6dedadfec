package conf

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzLoad feeds arbitrary site, masters and -D text through everything
// Load does after reading the files. It must never panic, and whatever it
// accepts must validate and list every known key.
func FuzzLoad(f *testing.F) {
	seeds := []struct{ site, masters, override, ha string }{
		{"", "", "", ""},
		{"alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk1:2181,zk2\nalluxio.master.journal.type=UFS\nalluxio.master.journal.folder=hdfs://nn:9000/j\n", "m1\nm2\nm3\n", "", ""},
		{"alluxio.master.embedded.journal.addresses=m1:19200,m2:19200,m3:19200\nalluxio.master.hostname=m1\n", "", "alluxio.master.rpc.port=0", "raft"},
		{"alluxio.work.dir=${alluxio.home}/w\nalluxio.home=${HOME}\n", "# c\n\nlocalhost\n", "alluxio.master.journal.folder=${alluxio.work.dir}/j", "none"},
		{"a=${b}${b}\nb=${c}${c}\nc=${a}\n", "m1 #x\n[::1]\n", "k=${a}", "zookeeper"},
		{"alluxio.master.hostname:\\\n  m\\u0031\nalluxio.user.rpc.retry.base.sleep 1.5s\n", "", "=", "RAFT"},
		{"alluxio.master.embedded.journal.addresses=${alluxio.master.hostname}:1,a;b\n", "a\nb", "alluxio.master.hostname=", ""},
	}
	for _, s := range seeds {
		f.Add(s.site, s.masters, s.override, s.ha)
	}
	f.Fuzz(func(t *testing.T, site, masters, override, ha string) {
		opts := LoadOptions{
			Env:         func(name string) string { return map[string]string{"HOME": "/home/h"}[name] },
			Hostname:    func() (string, error) { return "m2", nil },
			CurrentUser: func() (string, error) { return "u", nil },
			HA:          ha,
		}
		if key, value, err := ParseOverride(override); err == nil {
			opts.Overrides = map[string]string{key: value}
		}
		files := confFiles{sitePath: "site", site: []byte(site), masters: []byte(masters)}
		c, err := build("dir", files, opts)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted a config that does not validate: %v", err)
		}
		for key := range keyIndex {
			if _, ok := c.Properties[key]; !ok {
				t.Fatalf("known key %s missing from Properties", key)
			}
		}
		listing := c.Describe()
		if !slices.IsSortedFunc(listing, func(a, b KeyValue) int { return strings.Compare(a.Key, b.Key) }) {
			t.Fatal("Describe is not sorted")
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, seed := range []string{"60s", "2min", "500ms", "1h", "5000", "1day", "1.5 s", "", "-1", "1e9", "9223372036854775807", "0.0000001h", ".5s", "5.m"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		if d%time.Millisecond == 0 {
			// Any whole number of milliseconds reads back from its bare form.
			again, err := ParseDuration(strconv.FormatInt(int64(d/time.Millisecond), 10))
			if err != nil || again != d {
				t.Fatalf("ParseDuration(%q) = %v, but its millisecond form reads back as %v, %v", s, d, again, err)
			}
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, seed := range []string{"10MB", "4KB", "100MB", "123", "1.5gb", "16383PB", "", "KB", "18446744073709551615", "0.9b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if plain, perr := strconv.ParseUint(strings.TrimSpace(s), 10, 64); perr == nil && plain != n {
			t.Fatalf("ParseSize(%q) = %d, want the plain byte count %d", s, n, plain)
		}
		if n%1024 == 0 {
			again, err := ParseSize(strconv.FormatUint(n/1024, 10) + "KB")
			if err != nil || again != n {
				t.Fatalf("ParseSize(%q) = %d, but %dKB reads back as %d, %v", s, n, n/1024, again, err)
			}
		}
	})
}

func FuzzParseAddresses(f *testing.F) {
	for _, seed := range []string{"m1:19200,m2:19200", "m1;m2:1", "[::1]:2181,[fe80::1]", " , ,", "a:0", "a:b:c", "h\x00:1", "[]:1", "::1"} {
		f.Add(seed, 2181)
	}
	f.Fuzz(func(t *testing.T, s string, defaultPort int) {
		addresses, err := ParseAddresses(s, defaultPort)
		if err != nil {
			return
		}
		for _, address := range addresses {
			// Normal form is a fixed point: re-reading it changes nothing.
			again, err := ParseAddresses(address, 1)
			if err != nil || len(again) != 1 || again[0] != address {
				t.Fatalf("ParseAddresses(%q) gave %q, which re-reads as %q, %v", s, address, again, err)
			}
		}
	})
}

func FuzzParseOverride(f *testing.F) {
	for _, seed := range []string{"k=v", "k=", "=v", "k", " a.b = c=d ", "a b=c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, value, err := ParseOverride(s)
		if err != nil {
			return
		}
		if key == "" || strings.ContainsFunc(key, isSpaceOrControl) {
			t.Fatalf("ParseOverride(%q) accepted key %q", s, key)
		}
		k2, v2, err := ParseOverride(key + "=" + value)
		if err != nil || k2 != key || v2 != value {
			t.Fatalf("ParseOverride(%q) = %q, %q does not round-trip: %q, %q, %v", s, key, value, k2, v2, err)
		}
	})
}

func FuzzParseUmask(f *testing.F) {
	for _, seed := range []string{"022", "0777", "1000", "", "8", "-1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mask, err := ParseUmask(s)
		if err == nil && mask > 0o777 {
			t.Fatalf("ParseUmask(%q) = %o, above 0777", s, mask)
		}
	})
}
