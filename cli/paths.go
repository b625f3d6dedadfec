package cli

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// normalizePath turns a path argument into an absolute Halo path:
// "alluxio:///p" and "alluxio://host:port/p" both become "/p" (the client
// finds the masters from its configuration, so the authority is ignored).
func normalizePath(arg string) (string, error) {
	p := arg
	if scheme, rest, ok := strings.Cut(arg, "://"); ok {
		if scheme != "alluxio" {
			return "", fmt.Errorf("unsupported scheme %q in %s: use alluxio:// or a plain /path", scheme, arg)
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			p = rest[i:]
		} else {
			p = "/"
		}
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("invalid path %s: paths must be absolute", arg)
	}
	return path.Clean(p), nil
}

func normalizePaths(args []string) ([]string, error) {
	out := make([]string, len(args))
	for i, a := range args {
		p, err := normalizePath(a)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// userGroupPattern accepts POSIX-style names, as Alluxio's chown does.
var userGroupPattern = regexp.MustCompile(`^([A-Za-z0-9_][A-Za-z0-9_-]*\$?)(?::([A-Za-z0-9_][A-Za-z0-9_-]*\$?))?$`)

// parseOwnerGroup splits chown's "owner[:group]" argument; group is empty
// when none was given.
func parseOwnerGroup(arg string) (owner, group string, err error) {
	m := userGroupPattern.FindStringSubmatch(arg)
	if m == nil {
		return "", "", fmt.Errorf("failed to parse %s as user or user:group", arg)
	}
	return m[1], m[2], nil
}

// parseMode reads chmod's mode: octal ("755", "0644") or symbolic
// ("u=rwx,go=rx", "a+r"). As in Alluxio, symbolic modes are applied to an
// empty mode, not to the file's current one.
func parseMode(arg string) (uint32, error) {
	if arg == "" {
		return 0, fmt.Errorf("invalid mode %q", arg)
	}
	if arg[0] >= '0' && arg[0] <= '9' {
		v, err := strconv.ParseUint(arg, 8, 32)
		if err != nil || v > 0o777 {
			return 0, fmt.Errorf("invalid mode %q: expected octal 000-777", arg)
		}
		return uint32(v), nil
	}
	var mode uint32
	for _, clause := range strings.Split(arg, ",") {
		who := strings.IndexAny(clause, "+-=")
		if who < 0 {
			return 0, fmt.Errorf("invalid mode %q: clause %q has no +, - or =", arg, clause)
		}
		var mask uint32
		targets := clause[:who]
		if targets == "" {
			targets = "a"
		}
		for _, t := range targets {
			switch t {
			case 'u':
				mask |= 0o700
			case 'g':
				mask |= 0o070
			case 'o':
				mask |= 0o007
			case 'a':
				mask |= 0o777
			default:
				return 0, fmt.Errorf("invalid mode %q: unknown target %q", arg, t)
			}
		}
		var bits uint32
		for _, b := range clause[who+1:] {
			switch b {
			case 'r':
				bits |= 0o444
			case 'w':
				bits |= 0o222
			case 'x':
				bits |= 0o111
			default:
				return 0, fmt.Errorf("invalid mode %q: unknown permission %q", arg, b)
			}
		}
		bits &= mask
		switch clause[who] {
		case '+':
			mode |= bits
		case '-':
			mode &^= bits
		case '=':
			mode = mode&^mask | bits
		}
	}
	return mode, nil
}
