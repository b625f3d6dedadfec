package client

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/proto/halopb"
)

// CreateFileOptions are the options of CreateFile.
type CreateFileOptions struct {
	Mode           uint32 // 0: the master's default (0644 minus umask)
	Recursive      bool   // create missing parent directories
	Completed      bool   // create an empty, completed file (touch)
	BlockSizeBytes int64
	TTL            time.Duration
}

// CreateDirectoryOptions are the options of CreateDirectory.
type CreateDirectoryOptions struct {
	Mode        uint32 // 0: the master's default (0755 minus umask)
	Recursive   bool   // create missing parent directories
	AllowExists bool   // succeed if the directory already exists
}

// MountOptions are the options of Mount.
type MountOptions struct {
	ReadOnly bool
	Shared   bool
	Options  map[string]string // UFS properties, e.g. credentials
}

// CreateFile creates a file at path.
func (c *Client) CreateFile(ctx context.Context, path string, opts CreateFileOptions) (*halopb.FileInfo, error) {
	req := &halopb.CreateFileRequest{
		OpId:           c.ops.next(),
		Path:           path,
		Mode:           opts.Mode,
		Recursive:      opts.Recursive,
		Completed:      opts.Completed,
		BlockSizeBytes: opts.BlockSizeBytes,
		TtlMs:          opts.TTL.Milliseconds(),
	}
	var info *halopb.FileInfo
	err := c.invoke(ctx, mutation, "create file "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		resp, err := s.CreateFile(ctx, req)
		info = resp.GetInfo()
		return err
	})
	return info, err
}

// CreateDirectory creates a directory at path.
func (c *Client) CreateDirectory(ctx context.Context, path string, opts CreateDirectoryOptions) (*halopb.FileInfo, error) {
	req := &halopb.CreateDirectoryRequest{
		OpId:        c.ops.next(),
		Path:        path,
		Mode:        opts.Mode,
		Recursive:   opts.Recursive,
		AllowExists: opts.AllowExists,
	}
	var info *halopb.FileInfo
	err := c.invoke(ctx, mutation, "create directory "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		resp, err := s.CreateDirectory(ctx, req)
		info = resp.GetInfo()
		return err
	})
	return info, err
}

// GetStatus returns the attributes of path.
func (c *Client) GetStatus(ctx context.Context, path string) (*halopb.FileInfo, error) {
	req := &halopb.GetStatusRequest{Path: path}
	var info *halopb.FileInfo
	err := c.invoke(ctx, read, "get status "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		resp, err := s.GetStatus(ctx, req)
		info = resp.GetInfo()
		return err
	})
	return info, err
}

// ListStatus lists the children of path (its whole subtree if recursive),
// in listing order: depth first, children by name. It gathers the pages
// ListStatusPages hands out.
func (c *Client) ListStatus(ctx context.Context, path string, recursive bool) ([]*halopb.FileInfo, error) {
	var infos []*halopb.FileInfo
	err := c.ListStatusPages(ctx, path, recursive, func(page []*halopb.FileInfo) error {
		infos = append(infos, page...)
		return nil
	})
	return infos, err
}

// errPageRefused ends an attempt whose page fn refused: retrying cannot
// help, so the retry loop must give up at once.
var errPageRefused = errors.New("listing stopped by its caller")

// ListStatusPages calls fn with each page of the listing of path, as the
// master streams it (a page is at most about 1 MiB). A stream broken by a
// failover or a deadline resumes after the last entry received, so no
// entry is handed out twice. A listing of several pages is not a snapshot:
// an entry that stays where it is for the whole listing is listed once,
// one created, deleted or moved meanwhile may or may not be. An error from
// fn ends the listing and is returned.
func (c *Client) ListStatusPages(ctx context.Context, path string, recursive bool, fn func([]*halopb.FileInfo) error) error {
	req := &halopb.ListStatusRequest{Path: path, Recursive: recursive}
	var refused error
	err := c.invoke(ctx, read, "list status "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		stream, err := s.ListStatus(ctx, req)
		if err != nil {
			return err
		}
		for {
			resp, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			page := resp.GetInfos()
			if len(page) == 0 {
				continue
			}
			if err := fn(page); err != nil {
				refused = err
				return errPageRefused
			}
			req.StartAfter = page[len(page)-1].GetPath()
		}
	})
	if refused != nil {
		return refused
	}
	return err
}

// Rename moves src to dst.
func (c *Client) Rename(ctx context.Context, src, dst string) error {
	req := &halopb.RenameRequest{OpId: c.ops.next(), Src: src, Dst: dst}
	return c.invoke(ctx, mutation, "rename "+src+" to "+dst, func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.Rename(ctx, req)
		return err
	})
}

// Delete removes path; a non-empty directory needs recursive.
func (c *Client) Delete(ctx context.Context, path string, recursive bool) error {
	req := &halopb.DeleteRequest{OpId: c.ops.next(), Path: path, Recursive: recursive}
	return c.invoke(ctx, mutation, "delete "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.Delete(ctx, req)
		return err
	})
}

// SetAttribute changes the attributes whose has_* flag is set in attr.
func (c *Client) SetAttribute(ctx context.Context, attr *halopb.SetAttributeOptions) error {
	req := &halopb.SetAttributeRequest{OpId: c.ops.next(), Attr: attr}
	return c.invoke(ctx, mutation, "set attribute of "+attr.GetPath(), func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.SetAttribute(ctx, req)
		return err
	})
}

// CompleteFile marks the file at path complete with its final length and
// blocks.
func (c *Client) CompleteFile(ctx context.Context, path string, length int64, blockIDs []uint64) error {
	req := &halopb.CompleteFileRequest{OpId: c.ops.next(), Path: path, Length: length, BlockIds: blockIDs}
	return c.invoke(ctx, mutation, "complete file "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.CompleteFile(ctx, req)
		return err
	})
}

// Mount mounts the UFS folder ufsURI at path.
func (c *Client) Mount(ctx context.Context, path, ufsURI string, opts MountOptions) error {
	req := &halopb.MountRequest{
		OpId:     c.ops.next(),
		Path:     path,
		UfsUri:   ufsURI,
		ReadOnly: opts.ReadOnly,
		Shared:   opts.Shared,
		Options:  opts.Options,
	}
	return c.invoke(ctx, mutation, "mount "+ufsURI+" at "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.Mount(ctx, req)
		return err
	})
}

// Unmount removes the mount point at path.
func (c *Client) Unmount(ctx context.Context, path string) error {
	req := &halopb.UnmountRequest{OpId: c.ops.next(), Path: path}
	return c.invoke(ctx, mutation, "unmount "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.Unmount(ctx, req)
		return err
	})
}

// GetMountTable returns every mount point.
func (c *Client) GetMountTable(ctx context.Context) ([]*halopb.MountPointInfo, error) {
	var mounts []*halopb.MountPointInfo
	err := c.invoke(ctx, read, "get mount table", func(ctx context.Context, s halopb.MasterServiceClient) error {
		resp, err := s.GetMountTable(ctx, &halopb.Empty{})
		mounts = resp.GetMounts()
		return err
	})
	return mounts, err
}

// LoadMetadata brings the UFS listing under path into the namespace and
// returns how many inodes were loaded.
func (c *Client) LoadMetadata(ctx context.Context, path string, recursive bool) (uint64, error) {
	req := &halopb.LoadMetadataRequest{OpId: c.ops.next(), Path: path, Recursive: recursive}
	var loaded uint64
	err := c.invoke(ctx, mutation, "load metadata "+path, func(ctx context.Context, s halopb.MasterServiceClient) error {
		resp, err := s.LoadMetadata(ctx, req)
		loaded = resp.GetLoaded()
		return err
	})
	return loaded, err
}

// MasterInfo returns the leader's view of the cluster.
func (c *Client) MasterInfo(ctx context.Context) (*halopb.MasterInfo, error) {
	var info *halopb.MasterInfo
	err := c.invoke(ctx, read, "get master info", func(ctx context.Context, s halopb.MasterServiceClient) error {
		resp, err := s.GetMasterInfo(ctx, &halopb.Empty{})
		info = resp
		return err
	})
	return info, err
}

// MasterInfoFrom asks the master at addr, whatever its role, once and
// without retrying: report tables show each master's own answer.
func (c *Client) MasterInfoFrom(ctx context.Context, addr string) (*halopb.MasterInfo, error) {
	stub, err := c.stub(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	info, err := stub.GetMasterInfo(ctx, &halopb.Empty{})
	if err != nil {
		return nil, rpcerr.FromGRPC(err)
	}
	return info, nil
}

// Checkpoint asks the leader to write a checkpoint now. It is retried like
// a mutation: a lost answer means the checkpoint may or may not exist.
func (c *Client) Checkpoint(ctx context.Context) (*halopb.CheckpointResponse, error) {
	var resp *halopb.CheckpointResponse
	err := c.invoke(ctx, mutation, "checkpoint", func(ctx context.Context, s halopb.MasterServiceClient) error {
		r, err := s.Checkpoint(ctx, &halopb.Empty{})
		resp = r
		return err
	})
	return resp, err
}

// GetQuorumInfo returns the leader's view of the embedded journal quorum.
func (c *Client) GetQuorumInfo(ctx context.Context) (*halopb.QuorumInfo, error) {
	var info *halopb.QuorumInfo
	err := c.invoke(ctx, read, "get quorum info", func(ctx context.Context, s halopb.MasterServiceClient) error {
		resp, err := s.GetQuorumInfo(ctx, &halopb.Empty{})
		info = resp
		return err
	})
	return info, err
}

// TransferLeadership asks the leader to hand leadership to the quorum
// member at address (its embedded journal address) and returns once the
// new leader serves. A retry after a lost answer may be refused because
// the target already leads: callers confirm with GetQuorumInfo.
func (c *Client) TransferLeadership(ctx context.Context, address string) error {
	req := &halopb.QuorumMemberRequest{Address: address}
	return c.invoke(ctx, mutation, "transfer leadership to "+address, func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.TransferLeadership(ctx, req)
		return err
	})
}

// AddQuorumMember adds the master whose embedded journal address is
// address to the quorum as a voter.
func (c *Client) AddQuorumMember(ctx context.Context, address string) error {
	req := &halopb.QuorumMemberRequest{Address: address}
	return c.invoke(ctx, mutation, "add quorum member "+address, func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.AddQuorumMember(ctx, req)
		return err
	})
}

// RemoveQuorumMember removes the member at address from the quorum.
func (c *Client) RemoveQuorumMember(ctx context.Context, address string) error {
	req := &halopb.QuorumMemberRequest{Address: address}
	return c.invoke(ctx, mutation, "remove quorum member "+address, func(ctx context.Context, s halopb.MasterServiceClient) error {
		_, err := s.RemoveQuorumMember(ctx, req)
		return err
	})
}

// Backup makes the leader write a backup of the namespace.
func (c *Client) Backup(ctx context.Context, directory string, local bool) (*halopb.BackupResponse, error) {
	var resp *halopb.BackupResponse
	err := c.invoke(ctx, mutation, "backup", func(ctx context.Context, s halopb.MasterServiceClient) error {
		r, err := s.Backup(ctx, &halopb.BackupRequest{Directory: directory, Local: local})
		resp = r
		return err
	})
	return resp, err
}
