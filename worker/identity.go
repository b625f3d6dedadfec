package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/master/blockmaster"
)

// Identity is who a worker is to the masters: its id and the address the
// id belongs to. It is kept in a file beside the store and locked while
// the worker runs, so a second process with the same identity is refused
// instead of reporting the same blocks under the same id.
//
// The id is blockmaster.WorkerID of the address, the id every master
// gives the worker from its address alone (Alluxio's GetWorkerId names no
// identity), so the worker's own record and every master's agree across
// worker restarts and master failovers without asking anyone.
type Identity struct {
	ID      int64  `json:"id"`
	Address string `json:"address"` // host:rpcport

	path string
	lock *os.File
}

// ErrIdentityInUse means another running process holds the identity.
var ErrIdentityInUse = errors.New("the worker identity is in use by another running worker")

// ClaimIdentity locks the identity file at path (creating it for addr
// when missing) and returns the identity in it. It refuses an identity
// another process holds, and one made for another address: the store's
// blocks were reported under that address's id, and moving them to a new
// id silently would leave the masters with two workers holding them.
func ClaimIdentity(path string, addr blockmaster.Address) (*Identity, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("worker identity: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("worker identity: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked (halo.worker.identity.file); stop that worker first, or give this one its own store and identity file", ErrIdentityInUse, path)
		}
		return nil, fmt.Errorf("worker identity: lock %s: %w", path, err)
	}
	id, err := readOrMakeIdentity(f, path, addr)
	if err != nil {
		f.Close()
		return nil, err
	}
	id.path, id.lock = path, f
	return id, nil
}

func readOrMakeIdentity(f *os.File, path string, addr blockmaster.Address) (*Identity, error) {
	want := Identity{ID: blockmaster.WorkerID(addr), Address: addressOf(addr)}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("worker identity: %w", err)
	}
	if st.Size() == 0 {
		return &want, writeIdentity(f, want)
	}
	var have Identity
	if err := json.NewDecoder(f).Decode(&have); err != nil {
		return nil, fmt.Errorf("worker identity %s is damaged (%v): run halo formatWorker to start this worker afresh", path, err)
	}
	if have.Address != want.Address || have.ID != want.ID {
		return nil, fmt.Errorf("worker identity %s belongs to the worker at %s (id %d), but this worker is configured as %s (alluxio.worker.hostname, alluxio.worker.rpc.port): "+
			"restore that address, or run halo formatWorker to clear the store and take a new identity", path, have.Address, have.ID, want.Address)
	}
	return &have, nil
}

func writeIdentity(f *os.File, id Identity) error {
	data, err := json.Marshal(id)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		return fmt.Errorf("worker identity: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("worker identity: %w", err)
	}
	return journal.SyncDir(filepath.Dir(f.Name()))
}

// Release unlocks the identity for the next process.
func (id *Identity) Release() error {
	if id.lock == nil {
		return nil
	}
	err := id.lock.Close()
	id.lock = nil
	return err
}

// ForgetIdentity deletes the identity file (halo formatWorker), refusing
// while a worker holds it.
func ForgetIdentity(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("%w: %s is locked; stop the worker before formatting it", ErrIdentityInUse, path)
	}
	return os.Remove(path)
}

func addressOf(a blockmaster.Address) string {
	return fmt.Sprintf("%s:%d", a.Host, a.RPCPort)
}
