//go:build unix

package local

import (
	"io/fs"
	"os/user"
	"strconv"
	"sync"
	"syscall"
)

// ownerCache remembers user and group names by id: a listing of thousands
// of files owned by a handful of users would otherwise read /etc/passwd (or
// ask NSS) once per file.
type ownerCache struct {
	mu     sync.Mutex
	users  map[uint32]string
	groups map[uint32]string
}

// names returns the owner and group of the file info describes, as names
// where the system knows them and as decimal ids otherwise.
func (c *ownerCache) names(info fs.FileInfo) (owner, group string) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return "", ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil {
		c.users = make(map[uint32]string)
		c.groups = make(map[uint32]string)
	}
	owner, ok = c.users[st.Uid]
	if !ok {
		owner = strconv.FormatUint(uint64(st.Uid), 10)
		if u, err := user.LookupId(owner); err == nil {
			owner = u.Username
		}
		c.users[st.Uid] = owner
	}
	group, ok = c.groups[st.Gid]
	if !ok {
		group = strconv.FormatUint(uint64(st.Gid), 10)
		if g, err := user.LookupGroupId(group); err == nil {
			group = g.Name
		}
		c.groups[st.Gid] = group
	}
	return owner, group
}
