package conf

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "60s", want: time.Minute},
		{in: "2min", want: 2 * time.Minute},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "1h", want: time.Hour},
		{in: "5000", want: 5 * time.Second},
		{in: "1day", want: 24 * time.Hour},
		{in: "2days", want: 48 * time.Hour},
		{in: "5m", want: 5 * time.Minute},
		{in: "3 sec", want: 3 * time.Second},
		{in: " 10S ", want: 10 * time.Second},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "0.3s", want: 300 * time.Millisecond},
		{in: ".5s", want: 500 * time.Millisecond},
		{in: "1.0000000000000000000009s", want: time.Second},
		{in: "0.1day", want: 144 * time.Minute},
		{in: "0", want: 0},
		{in: "", wantErr: "not a duration"},
		{in: "s", wantErr: "not a duration"},
		{in: "-1s", wantErr: "not a duration"},
		{in: "1.2.3s", wantErr: "not a duration"},
		{in: "10 years", wantErr: `unknown duration unit "years"`},
		{in: "10yr", wantErr: `unknown duration unit "yr"`},
		{in: "1e3s", wantErr: "not a duration"},
		{in: "99999999999999999999day", wantErr: "too long"},
		{in: "1 0s", wantErr: "not a duration"},
		{in: "200000day", wantErr: "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			checkErr(t, err, tt.wantErr)
			if err == nil && got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr string
	}{
		{in: "10MB", want: 10 << 20},
		{in: "4KB", want: 4 << 10},
		{in: "100MB", want: 100 << 20},
		{in: "4kb", want: 4 << 10},
		{in: "2g", want: 2 << 30},
		{in: "1TB", want: 1 << 40},
		{in: "1PB", want: 1 << 50},
		{in: "1.5KB", want: 1536},
		{in: "123", want: 123},
		{in: "123B", want: 123},
		{in: "8 MB", want: 8 << 20},
		{in: "", wantErr: "not a size"},
		{in: "MB", wantErr: "not a size"},
		{in: "-1MB", wantErr: "not a size"},
		{in: "10XB", wantErr: `unknown size unit "xb"`},
		{in: "16384PB", wantErr: "too large"},
		{in: "18446744073709551616", wantErr: "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			checkErr(t, err, tt.wantErr)
			if err == nil && got != tt.want {
				t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{in: "true", want: true},
		{in: "TRUE", want: true},
		{in: " True ", want: true},
		{in: "false", want: false},
		{in: "False", want: false},
		{in: "1", wantErr: true},
		{in: "yes", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseBool(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{in: "19998", want: 19998},
		{in: "0", want: 0},
		{in: "65535", want: 65535},
		{in: "65536", wantErr: "out of range"},
		{in: "-1", wantErr: "out of range"},
		{in: "http", wantErr: "not a port number"},
		{in: "", wantErr: "not a port number"},
	}
	for _, tt := range tests {
		got, err := ParsePort(tt.in)
		checkErr(t, err, tt.wantErr)
		if err == nil && got != tt.want {
			t.Errorf("ParsePort(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseUmask(t *testing.T) {
	tests := []struct {
		in      string
		want    uint32
		wantErr string
	}{
		{in: "022", want: 0o22},
		{in: "0022", want: 0o22},
		{in: "777", want: 0o777},
		{in: "0", want: 0},
		{in: "1000", wantErr: "umask above 0777"},
		{in: "089", wantErr: "not an octal umask"},
		{in: "", wantErr: "not an octal umask"},
		{in: "+22", wantErr: "not an octal umask"},
	}
	for _, tt := range tests {
		got, err := ParseUmask(tt.in)
		checkErr(t, err, tt.wantErr)
		if err == nil && got != tt.want {
			t.Errorf("ParseUmask(%q) = %o, want %o", tt.in, got, tt.want)
		}
	}
}

func TestParseAddresses(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "m1:19200,m2:19200,m3:19200", want: []string{"m1:19200", "m2:19200", "m3:19200"}},
		{in: "m1:19998;m2:19998", want: []string{"m1:19998", "m2:19998"}},
		{in: " m1 , m2:1 ,", want: []string{"m1:2181", "m2:1"}},
		{in: "[::1]:19200,[fe80::1]", want: []string{"[::1]:19200", "[fe80::1]:2181"}},
		{in: "10.0.0.1", want: []string{"10.0.0.1:2181"}},
		{in: "", want: nil},
		{in: "m1:0", wantErr: "out of range 1-65535"},
		{in: "m1:70000", wantErr: "out of range 1-65535"},
		{in: "m1:zk", wantErr: `port "zk" is not a number`},
		{in: ":2181", wantErr: "empty host"},
		{in: "m1:1:2", wantErr: "not host:port"},
		{in: "::1", wantErr: "not host:port"},
		{in: "m 1:2181", wantErr: "contains"},
		{in: "hdfs://nn:9000", wantErr: "not host:port"},
		{in: "nn/x:9000", wantErr: `contains '/'`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAddresses(tt.in, ZooKeeperDefaultPort)
			checkErr(t, err, tt.wantErr)
			if err == nil && !slices.Equal(got, tt.want) {
				t.Errorf("ParseAddresses(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// checkErr fails unless err is nil and wantErr empty, or err contains wantErr.
func checkErr(t *testing.T, err error, wantErr string) {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case wantErr != "" && err == nil:
		t.Fatalf("got no error, want one containing %q", wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		t.Fatalf("error %q does not contain %q", err, wantErr)
	}
}

func TestParseTimeOfDay(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"05:00": 5 * time.Hour, "00:00": 0, "23:59": 23*time.Hour + 59*time.Minute, " 7:30 ": 7*time.Hour + 30*time.Minute,
	} {
		if got, err := ParseTimeOfDay(in); err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5", "24:00", "12:60", "12:5", "-1:00", "noon", "12:00:00"} {
		if _, err := ParseTimeOfDay(in); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", in)
		}
	}
}

func TestDailyBackupTimeIsCheckedAtLoad(t *testing.T) {
	dir := writeConfDir(t, map[string]string{"alluxio-site.properties": "alluxio.master.daily.backup.time=25:00\n"})
	_, err := Load(testOptions(dir, nil))
	if err == nil || !strings.Contains(err.Error(), "alluxio.master.daily.backup.time") {
		t.Fatalf("a daily backup at 25:00 loaded: %v", err)
	}
}
