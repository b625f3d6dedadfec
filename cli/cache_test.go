package cli

import "testing"

func TestParseTimeToLive(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"1500", 1500}, {"10s", 10_000}, {"5min", 300_000}, {"2h", 7_200_000}, {"1d", 86_400_000}, {"3 days", 259_200_000}, {"250ms", 250},
	} {
		if got, err := parseTimeToLive(c.in); err != nil || got != c.want {
			t.Errorf("parseTimeToLive(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "0", "-5", "10 parsecs", "s", "99999999999999999999", "4611686018427387904d"} {
		if got, err := parseTimeToLive(bad); err == nil {
			t.Errorf("parseTimeToLive(%q) = %d, want an error", bad, got)
		}
	}
}
