package client

import (
	"context"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
)

// FileIDMetadataKey is the response header in which a master names the
// directory CreateDirectory made (or, for a retry, had made): Alluxio's
// answer carries nothing.
const FileIDMetadataKey = "halo-file-id"

// CreateFileOptions are the options of CreateFile.
type CreateFileOptions struct {
	Mode      uint32 // 0: the master's default (0644 minus umask)
	Recursive bool   // create missing parent directories
	// Completed completes the file once created, as Alluxio's touch does:
	// two operations, see the package comment.
	Completed      bool
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

// parseLoadType reads alluxio.user.file.metadata.load.type; "" is NEVER.
func parseLoadType(s string) (*alluxiopb.LoadMetadataPType, error) {
	if s == "" {
		return alluxiopb.LoadMetadataPType_NEVER.Enum(), nil
	}
	v, ok := alluxiopb.LoadMetadataPType_value[strings.ToUpper(s)]
	if !ok {
		return nil, fserr.New(fserr.InvalidArgument, "alluxio.user.file.metadata.load.type: unknown type %q: NEVER, ONCE or ALWAYS", s)
	}
	return alluxiopb.LoadMetadataPType(v).Enum(), nil
}

// mutate runs one operation of a mutation with its id, the same id in
// every attempt.
func (c *Client) mutate(ctx context.Context, name string, call func(ctx context.Context, mc *masterConn, id opID) error) error {
	id := c.ops.next()
	return c.invoke(ctx, mutation, name, func(ctx context.Context, mc *masterConn) error {
		return call(id.outgoing(ctx), mc, id)
	})
}

// CreateFile creates a file at path.
func (c *Client) CreateFile(ctx context.Context, path string, opts CreateFileOptions) (*halopb.FileInfo, error) {
	var info *halopb.FileInfo
	err := c.mutate(ctx, "create file "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		o := &alluxiopb.CreateFilePOptions{
			Recursive:     proto.Bool(opts.Recursive),
			Mode:          defaultOr(opts.Mode),
			CommonOptions: id.common(),
		}
		if opts.BlockSizeBytes != 0 {
			o.BlockSizeBytes = proto.Int64(opts.BlockSizeBytes)
		}
		if opts.TTL > 0 {
			o.CommonOptions.Ttl = proto.Int64(opts.TTL.Milliseconds())
		}
		resp, err := mc.fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(path), Options: o})
		info = fileInfoFrom(resp.GetFileInfo())
		return err
	})
	if err != nil || !opts.Completed {
		return info, err
	}
	if err := c.CompleteFile(ctx, path, 0); err != nil {
		return nil, err
	}
	if info != nil {
		info.Completed = true
	}
	return info, nil
}

// CompleteFile marks the file at path complete with its final length.
func (c *Client) CompleteFile(ctx context.Context, path string, length int64) error {
	return c.completeFile(ctx, path, length, false)
}

// completeFile completes the file at path; asyncPersist also queues it
// for the leader's persister (ASYNC_THROUGH).
func (c *Client) completeFile(ctx context.Context, path string, length int64, asyncPersist bool) error {
	return c.mutate(ctx, "complete file "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		o := &alluxiopb.CompleteFilePOptions{UfsLength: proto.Int64(length), CommonOptions: id.common()}
		if asyncPersist {
			o.AsyncPersistOptions = &alluxiopb.ScheduleAsyncPersistencePOptions{}
		}
		_, err := mc.fs.CompleteFile(ctx, &alluxiopb.CompleteFilePRequest{Path: proto.String(path), Options: o})
		return err
	})
}

// CreateDirectory creates a directory at path and returns its inode id.
func (c *Client) CreateDirectory(ctx context.Context, path string, opts CreateDirectoryOptions) (uint64, error) {
	var inode uint64
	err := c.mutate(ctx, "create directory "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		var header metadata.MD
		_, err := mc.fs.CreateDirectory(ctx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String(path), Options: &alluxiopb.CreateDirectoryPOptions{
			Recursive: proto.Bool(opts.Recursive), AllowExists: proto.Bool(opts.AllowExists), Mode: defaultOr(opts.Mode), CommonOptions: id.common(),
		}}, grpc.Header(&header))
		if err != nil {
			return err
		}
		inode, err = fileIDOf(header)
		return err
	})
	return inode, err
}

// fileIDOf reads the FileIDMetadataKey header.
func fileIDOf(header metadata.MD) (uint64, error) {
	vals := header.Get(FileIDMetadataKey)
	if len(vals) != 1 {
		return 0, fserr.New(fserr.Internal, "the master named no directory id (header %s): is it a Halo master?", FileIDMetadataKey)
	}
	id, err := strconv.ParseUint(vals[0], 10, 64)
	if err != nil {
		return 0, fserr.New(fserr.Internal, "the master's directory id %q is not a number", vals[0])
	}
	return id, nil
}

// GetStatus returns the attributes of path.
func (c *Client) GetStatus(ctx context.Context, path string) (*halopb.FileInfo, error) {
	info, err := c.fileInfo(ctx, path)
	return fileInfoFrom(info), err
}

// Exists reports whether path exists.
func (c *Client) Exists(ctx context.Context, path string) (bool, error) {
	var exists bool
	err := c.invoke(ctx, read, "exists "+path, func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.fs.Exists(ctx, &alluxiopb.ExistsPRequest{Path: proto.String(path), Options: &alluxiopb.ExistsPOptions{LoadMetadataType: c.loadType}})
		exists = resp.GetExists()
		return err
	})
	return exists, err
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

// ListStatusPages calls fn with each page of the listing of path: one
// ListStatusPartial per page of at most ListBatchSize entries, each
// resuming after the last entry of the page before, and retried on its
// own across a failover, so no entry is handed out twice. A listing of
// several pages is not a snapshot: an entry that stays where it is for the
// whole listing is listed once, one created, deleted or moved meanwhile
// may or may not be. Listing a file lists the file. An error from fn ends
// the listing and is returned.
func (c *Client) ListStatusPages(ctx context.Context, path string, recursive bool, fn func([]*halopb.FileInfo) error) error {
	after := ""
	for {
		req := &alluxiopb.ListStatusPartialPRequest{Path: proto.String(path), Options: &alluxiopb.ListStatusPartialPOptions{
			Options:    &alluxiopb.ListStatusPOptions{Recursive: proto.Bool(recursive), LoadMetadataType: c.loadType},
			BatchSize:  proto.Int32(c.opts.ListBatchSize),
			OffsetType: &alluxiopb.ListStatusPartialPOptions_StartAfter{StartAfter: after},
		}}
		var resp *alluxiopb.ListStatusPartialPResponse
		err := c.invoke(ctx, read, "list status "+path, func(ctx context.Context, mc *masterConn) error {
			r, err := mc.fs.ListStatusPartial(ctx, req)
			resp = r
			return err
		})
		if err != nil {
			return err
		}
		page := fileInfosFrom(resp.GetFileInfos())
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
			after = page[len(page)-1].GetPath()
		}
		if !resp.GetIsTruncated() || len(page) == 0 {
			return nil
		}
	}
}

// Rename moves src to dst.
func (c *Client) Rename(ctx context.Context, src, dst string) error {
	return c.mutate(ctx, "rename "+src+" to "+dst, func(ctx context.Context, mc *masterConn, id opID) error {
		_, err := mc.fs.Rename(ctx, &alluxiopb.RenamePRequest{Path: proto.String(src), DstPath: proto.String(dst), Options: &alluxiopb.RenamePOptions{CommonOptions: id.common()}})
		return err
	})
}

// Delete removes path; a non-empty directory needs recursive.
func (c *Client) Delete(ctx context.Context, path string, recursive bool) error {
	return c.mutate(ctx, "delete "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		_, err := mc.fs.Remove(ctx, &alluxiopb.DeletePRequest{Path: proto.String(path), Options: &alluxiopb.DeletePOptions{Recursive: proto.Bool(recursive), CommonOptions: id.common()}})
		return err
	})
}

// SetAttribute changes the attributes whose has_* flag is set in attr.
func (c *Client) SetAttribute(ctx context.Context, attr *halopb.SetAttributeOptions) error {
	return c.mutate(ctx, "set attribute of "+attr.GetPath(), func(ctx context.Context, mc *masterConn, id opID) error {
		_, err := mc.fs.SetAttribute(ctx, &alluxiopb.SetAttributePRequest{Path: proto.String(attr.GetPath()), Options: setAttributeOptions(id, attr)})
		return err
	})
}

// Mount mounts the UFS folder ufsURI at path.
func (c *Client) Mount(ctx context.Context, path, ufsURI string, opts MountOptions) error {
	return c.mutate(ctx, "mount "+ufsURI+" at "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		_, err := mc.fs.Mount(ctx, &alluxiopb.MountPRequest{AlluxioPath: proto.String(path), UfsPath: proto.String(ufsURI), Options: &alluxiopb.MountPOptions{
			ReadOnly: proto.Bool(opts.ReadOnly), Shared: proto.Bool(opts.Shared), Properties: opts.Options, CommonOptions: id.common(),
		}})
		return err
	})
}

// Unmount removes the mount point at path.
func (c *Client) Unmount(ctx context.Context, path string) error {
	return c.mutate(ctx, "unmount "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		_, err := mc.fs.Unmount(ctx, &alluxiopb.UnmountPRequest{AlluxioPath: proto.String(path), Options: &alluxiopb.UnmountPOptions{CommonOptions: id.common()}})
		return err
	})
}

// GetMountTable returns every mount point, by path.
func (c *Client) GetMountTable(ctx context.Context) ([]*halopb.MountPointInfo, error) {
	var mounts []*halopb.MountPointInfo
	err := c.invoke(ctx, read, "get mount table", func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.fs.GetMountTable(ctx, &alluxiopb.GetMountTablePRequest{})
		mounts = mountPointsFrom(resp.GetMountPoints())
		return err
	})
	return mounts, err
}

// LoadMetadata brings the UFS listing under path into the namespace and
// returns how many inodes were loaded (Halo's service).
func (c *Client) LoadMetadata(ctx context.Context, path string, recursive bool) (uint64, error) {
	var loaded uint64
	err := c.mutate(ctx, "load metadata "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		resp, err := mc.halo.LoadMetadata(ctx, &halopb.LoadMetadataRequest{
			OpId: &halopb.OperationID{ClientHi: id.hi, ClientLo: id.lo, Seq: id.seq}, Path: path, Recursive: recursive,
		})
		loaded = resp.GetLoaded()
		return err
	})
	return loaded, err
}

// MasterInfo returns the leader's report of itself and the cluster (Halo's
// service: its role, HA mode and journal figures are Halo's).
func (c *Client) MasterInfo(ctx context.Context) (*halopb.MasterInfo, error) {
	var info *halopb.MasterInfo
	err := c.invoke(ctx, read, "get master info", func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.halo.GetMasterInfo(ctx, &halopb.Empty{})
		info = resp
		return err
	})
	return info, err
}

// MasterInfoFrom asks the master at addr, whatever its role, once and
// without retrying: report tables show each master's own answer.
func (c *Client) MasterInfoFrom(ctx context.Context, addr string) (*halopb.MasterInfo, error) {
	mc, err := c.conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	info, err := mc.halo.GetMasterInfo(ctx, &halopb.Empty{})
	if err != nil {
		return nil, rpcerr.FromGRPC(err)
	}
	return info, nil
}

// Checkpoint asks the leader to write a checkpoint now and returns the
// leader's host name. It is retried like a mutation: a lost answer means
// the checkpoint may or may not exist.
func (c *Client) Checkpoint(ctx context.Context) (string, error) {
	var host string
	err := c.invoke(ctx, mutation, "checkpoint", func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.meta.Checkpoint(ctx, &alluxiopb.CheckpointPOptions{})
		host = resp.GetMasterHostname()
		return err
	})
	return host, err
}

// GetQuorumInfo returns the leader's view of the embedded journal quorum,
// with Raft's figures per member (Halo's service).
func (c *Client) GetQuorumInfo(ctx context.Context) (*halopb.QuorumInfo, error) {
	var info *halopb.QuorumInfo
	err := c.invoke(ctx, read, "get quorum info", func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.halo.GetQuorumInfo(ctx, &halopb.Empty{})
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
	member, err := netAddress(address)
	if err != nil {
		return err
	}
	return c.invoke(ctx, mutation, "transfer leadership to "+address, func(ctx context.Context, mc *masterConn) error {
		_, err := mc.journal.TransferLeadership(ctx, &alluxiopb.TransferLeadershipPRequest{ServerAddress: member})
		return err
	})
}

// AddQuorumMember adds the master whose embedded journal address is
// address to the quorum as a voter (Halo's service).
func (c *Client) AddQuorumMember(ctx context.Context, address string) error {
	req := &halopb.QuorumMemberRequest{Address: address}
	return c.invoke(ctx, mutation, "add quorum member "+address, func(ctx context.Context, mc *masterConn) error {
		_, err := mc.halo.AddQuorumMember(ctx, req)
		return err
	})
}

// RemoveQuorumMember removes the member at address from the quorum.
func (c *Client) RemoveQuorumMember(ctx context.Context, address string) error {
	member, err := netAddress(address)
	if err != nil {
		return err
	}
	return c.invoke(ctx, mutation, "remove quorum member "+address, func(ctx context.Context, mc *masterConn) error {
		_, err := mc.journal.RemoveQuorumServer(ctx, &alluxiopb.RemoveQuorumServerPRequest{ServerAddress: member})
		return err
	})
}

// Backup makes the leader write a backup of the namespace.
func (c *Client) Backup(ctx context.Context, directory string, local bool) (*halopb.BackupResponse, error) {
	req := &alluxiopb.BackupPRequest{Options: &alluxiopb.BackupPOptions{LocalFileSystem: proto.Bool(local)}}
	if directory != "" {
		req.TargetDirectory = proto.String(directory)
	}
	var resp *halopb.BackupResponse
	err := c.invoke(ctx, mutation, "backup", func(ctx context.Context, mc *masterConn) error {
		st, err := mc.meta.Backup(ctx, req)
		if err != nil {
			return err
		}
		resp = &halopb.BackupResponse{BackupHost: st.GetBackupHost(), BackupUri: st.GetBackupUri(), EntryCount: uint64(st.GetEntryCount())}
		return nil
	})
	return resp, err
}
