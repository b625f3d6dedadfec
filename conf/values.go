package conf

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// durationUnits maps every unit spelling Alluxio's FormatUtils.parseTimeSize
// accepts (plus plurals, which users write and Alluxio tolerates through its
// trailing-"s" rule) to its length. A bare number means milliseconds.
var durationUnits = map[string]time.Duration{
	"":             time.Millisecond,
	"ms":           time.Millisecond,
	"milli":        time.Millisecond,
	"millis":       time.Millisecond,
	"millisecond":  time.Millisecond,
	"milliseconds": time.Millisecond,
	"s":            time.Second,
	"sec":          time.Second,
	"secs":         time.Second,
	"second":       time.Second,
	"seconds":      time.Second,
	"m":            time.Minute,
	"min":          time.Minute,
	"mins":         time.Minute,
	"minute":       time.Minute,
	"minutes":      time.Minute,
	"h":            time.Hour,
	"hr":           time.Hour,
	"hrs":          time.Hour,
	"hour":         time.Hour,
	"hours":        time.Hour,
	"d":            24 * time.Hour,
	"day":          24 * time.Hour,
	"days":         24 * time.Hour,
}

// sizeUnits maps Alluxio's space-size suffixes to their multipliers. Alluxio
// treats "MB" as 2^20 bytes, not 10^6, and so does Halo.
var sizeUnits = map[string]uint64{
	"":   1,
	"b":  1,
	"k":  1 << 10,
	"kb": 1 << 10,
	"m":  1 << 20,
	"mb": 1 << 20,
	"g":  1 << 30,
	"gb": 1 << 30,
	"t":  1 << 40,
	"tb": 1 << 40,
	"p":  1 << 50,
	"pb": 1 << 50,
}

// splitNumberUnit splits "2.5 min" into "2.5" and "min". The number is
// digits with at most one decimal point; the unit is letters only.
func splitNumberUnit(s string) (number, unit string, ok bool) {
	i := 0
	seenDot := false
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' && !seenDot) {
		if s[i] == '.' {
			seenDot = true
		}
		i++
	}
	number = s[:i]
	unit = strings.TrimLeft(s[i:], " \t")
	if number == "" || number == "." {
		return "", "", false
	}
	for _, r := range unit {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) {
			return "", "", false
		}
	}
	return number, strings.ToLower(unit), true
}

// scale multiplies number (decimal text) by unit, refusing results above
// limit. It computes in integers so that "0.3s" is exactly 300ms; digits
// of the fraction beyond what a unit can resolve are dropped.
func scale(number string, unit, limit uint64) (uint64, bool) {
	wholeText, fractionText, _ := strings.Cut(number, ".")
	var whole uint64
	if wholeText != "" {
		var err error
		if whole, err = strconv.ParseUint(wholeText, 10, 64); err != nil {
			return 0, false
		}
	}
	if whole > limit/unit {
		return 0, false
	}
	result := whole * unit
	const maxFractionDigits = 18 // 10^18 still fits in a uint64
	if len(fractionText) > maxFractionDigits {
		fractionText = fractionText[:maxFractionDigits]
	}
	if fractionText != "" {
		fraction, err := strconv.ParseUint(fractionText, 10, 64)
		if err != nil {
			return 0, false
		}
		denominator := uint64(1)
		for range fractionText {
			denominator *= 10
		}
		// fraction < denominator, so the 128-bit product divided by the
		// denominator is below unit and cannot overflow.
		hi, lo := bits.Mul64(fraction, unit)
		part, _ := bits.Div64(hi, lo, denominator)
		if part > limit-result {
			return 0, false
		}
		result += part
	}
	return result, true
}

// The value parsers' errors do not repeat the input: Load wraps them in a
// KeyError that shows the key and the value once.

// ParseDuration reads an Alluxio duration: a non-negative number with an
// optional unit ("500ms", "60s", "2min", "1h", "1day", "1.5s"). A bare
// number is milliseconds, as in Alluxio ("5000" is five seconds).
func ParseDuration(s string) (time.Duration, error) {
	trimmed := strings.TrimSpace(s)
	number, unit, ok := splitNumberUnit(trimmed)
	if !ok {
		return 0, errors.New("not a duration: want a number with an optional unit ms, s, min, h or day (a bare number is milliseconds)")
	}
	length, known := durationUnits[unit]
	if !known {
		return 0, fmt.Errorf("unknown duration unit %q: want ms, s, min, h or day", unit)
	}
	d, ok := scale(number, uint64(length), math.MaxInt64)
	if !ok {
		return 0, errors.New("duration too long")
	}
	return time.Duration(d), nil
}

// ParseSize reads an Alluxio byte size: a non-negative number with an
// optional binary unit ("4KB", "10MB", "1.5GB", "100"). Units are
// case-insensitive and the trailing B is optional.
func ParseSize(s string) (uint64, error) {
	trimmed := strings.TrimSpace(s)
	number, unit, ok := splitNumberUnit(trimmed)
	if !ok {
		return 0, errors.New("not a size: want a number with an optional unit B, KB, MB, GB, TB or PB")
	}
	multiplier, known := sizeUnits[unit]
	if !known {
		return 0, fmt.Errorf("unknown size unit %q: want B, KB, MB, GB, TB or PB", unit)
	}
	n, ok := scale(number, multiplier, math.MaxUint64)
	if !ok {
		return 0, errors.New("size too large")
	}
	return n, nil
}

// ParseBool reads "true" or "false" in any letter case, as Alluxio does.
// Unlike strconv.ParseBool it refuses "1", "t" and friends, which Alluxio
// would reject too.
func ParseBool(s string) (bool, error) {
	switch trimmed := strings.TrimSpace(s); {
	case strings.EqualFold(trimmed, "true"):
		return true, nil
	case strings.EqualFold(trimmed, "false"):
		return false, nil
	}
	return false, errors.New("not a boolean: want true or false")
}

// ParsePort reads a TCP port. Zero is allowed: a listener given port 0 lets
// the operating system choose, which tests rely on.
func ParsePort(s string) (int, error) {
	port, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, errors.New("not a port number")
	}
	if port < 0 || port > math.MaxUint16 {
		return 0, fmt.Errorf("port %d is out of range 0-65535", port)
	}
	return port, nil
}

// ParseTimeOfDay parses a time of day written HH:MM (24-hour clock), as
// alluxio.master.daily.backup.time takes it, into the offset from midnight.
func ParseTimeOfDay(s string) (time.Duration, error) {
	hours, minutes, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, herr := strconv.Atoi(hours)
	m, merr := strconv.Atoi(minutes)
	if !ok || herr != nil || merr != nil || len(minutes) != 2 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, errors.New("want a time of day as HH:MM, from 00:00 to 23:59")
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// ParseUmask reads an octal permission mask such as "022".
func ParseUmask(s string) (uint32, error) {
	trimmed := strings.TrimSpace(s)
	mask, err := strconv.ParseUint(trimmed, 8, 32)
	if err != nil {
		return 0, errors.New("not an octal umask such as 022")
	}
	if mask > 0o777 {
		return 0, errors.New("umask above 0777")
	}
	return uint32(mask), nil
}

// ParseAddresses reads a list of host:port addresses separated by commas or
// semicolons (Spark users write ";" because "," splits its own options).
// An address without a port gets defaultPort. Empty entries, as left by a
// trailing comma, are skipped. Each result is in net.JoinHostPort form, so
// IPv6 hosts come back bracketed.
func ParseAddresses(s string, defaultPort int) ([]string, error) {
	var addresses []string
	for _, field := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		address, err := parseAddress(field, defaultPort)
		if err != nil {
			return nil, err
		}
		addresses = append(addresses, address)
	}
	return addresses, nil
}

// parseAddress normalizes one "host", "host:port", "[v6]" or "[v6]:port".
func parseAddress(s string, defaultPort int) (string, error) {
	host, portText := s, ""
	switch {
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		host = s[1 : len(s)-1]
	case strings.Contains(s, ":"):
		var err error
		host, portText, err = net.SplitHostPort(s)
		if err != nil {
			return "", fmt.Errorf("address %q is not host:port", s)
		}
	}
	if err := checkHost(host); err != nil {
		return "", fmt.Errorf("address %q: %w", s, err)
	}
	port := defaultPort
	if portText != "" {
		var err error
		port, err = strconv.Atoi(portText)
		if err != nil {
			return "", fmt.Errorf("address %q: port %q is not a number", s, portText)
		}
	}
	if port < 1 || port > math.MaxUint16 {
		return "", fmt.Errorf("address %q: port %d is out of range 1-65535", s, port)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// checkHost refuses host names that cannot be a DNS name or an IP literal:
// they would otherwise surface much later as a confusing dial error.
func checkHost(host string) error {
	if host == "" {
		return fmt.Errorf("empty host")
	}
	if strings.Contains(host, ":") {
		if net.ParseIP(host) == nil {
			return fmt.Errorf("host %q has a colon but is not an IPv6 address", host)
		}
		return nil
	}
	for _, r := range host {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`,;/\@#?[]"'`, r) {
			return fmt.Errorf("host %q contains %q", host, r)
		}
	}
	return nil
}

// hostOf returns the host part of a normalized address.
func hostOf(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}
	return host
}
