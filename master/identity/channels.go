package identity

import (
	"sync"

	"github.com/halo-fs/halo/client"

	"github.com/halo-fs/halo/fserr"
)

// ChannelMetadataKey carries the id of an Alluxio client's authenticated
// channel on every call of the channel (see OpenChannel); Halo's client
// sends it too.
const ChannelMetadataKey = client.ChannelMetadataKey

// channels remembers who authenticated each Alluxio client channel, for as
// long as the channel's authentication stream stays open, as Alluxio's
// master does.
type channels struct {
	mu    sync.Mutex
	users map[string]string
}

// OpenChannel records that the channel id belongs to user until the
// returned close is called. The user name follows Halo's naming rules.
func (ids *Identities) OpenChannel(id, user string) (close func(), err error) {
	if err := CheckName("user name", user); err != nil {
		return nil, err
	}
	if id == "" {
		return nil, fserr.New(fserr.InvalidArgument, "authentication without a client id: the channel could not be named")
	}
	c := &ids.channels
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil {
		c.users = map[string]string{}
	}
	c.users[id] = user
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.users[id] == user {
			delete(c.users, id)
		}
	}, nil
}

// user is the user an open channel authenticated as.
func (c *channels) user(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[id]
	return u, ok
}
