package fsm

import (
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// POSIX permission bits as checked on a single inode.
const (
	permRead    uint16 = 4
	permWrite   uint16 = 2
	permExecute uint16 = 1
)

// allowed reports whether the caller holds all bits in want on n, the way
// Alluxio checks with SIMPLE authentication: the owner's bits if the caller
// owns n, else the group's bits if the caller is in n's group, else the
// other bits. A superuser (the master's own user, or the supergroup, as
// decided by the leader when it stamped the entry) holds every bit.
func allowed(c *journalpb.Caller, n *Inode, want uint16) bool {
	if c == nil || c.Superuser {
		return true
	}
	var have uint16
	switch {
	case c.User == n.owner():
		have = n.mode >> 6 & 7
	case inGroup(c, n.group()):
		have = n.mode >> 3 & 7
	default:
		have = n.mode & 7
	}
	return have&want == want
}

func inGroup(c *journalpb.Caller, group string) bool {
	for _, g := range c.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// checkPermission checks want on n, which is at path parts.
func checkPermission(c *journalpb.Caller, n *Inode, want uint16, parts []string) error {
	if allowed(c, n, want) {
		return nil
	}
	return permissionError(c, n, want, JoinPath(parts))
}

func permissionError(c *journalpb.Caller, n *Inode, want uint16, path string) error {
	return fserr.New(fserr.PermissionDenied,
		"permission denied: user=%s, access=%s, path=%s: owner=%s, group=%s, mode=%s",
		c.User, accessString(want), path, n.owner(), n.group(), modeString(n.mode))
}

func accessString(bits uint16) string {
	b := []byte("---")
	if bits&permRead != 0 {
		b[0] = 'r'
	}
	if bits&permWrite != 0 {
		b[1] = 'w'
	}
	if bits&permExecute != 0 {
		b[2] = 'x'
	}
	return string(b)
}

func modeString(mode uint16) string {
	const letters = "rwxrwxrwx"
	b := []byte("---------")
	for i := 0; i < 9; i++ {
		if mode&(1<<(8-i)) != 0 {
			b[i] = letters[i]
		}
	}
	return string(b)
}

func primaryGroup(c *journalpb.Caller) string {
	if c == nil || len(c.Groups) == 0 {
		return ""
	}
	return c.Groups[0]
}

func callerUser(c *journalpb.Caller) string {
	if c == nil {
		return ""
	}
	return c.User
}
