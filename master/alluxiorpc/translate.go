package alluxiorpc

import (
	"context"
	"strconv"
	"strings"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"google.golang.org/grpc/metadata"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

// opID is the operation table's key of a mutation. Alluxio's client sends
// a random UUID per operation, which a retry reuses: each such operation
// is a client of one operation, sequence 1. Halo's client sends its client
// id plus the sequence as the UUID and the sequence in the
// client.OpSeqMetadataKey header, so that the table keeps one client per
// Halo client and notices retries of operations it has forgotten. Without
// an operation id, nothing is remembered. The Alluxio interceptor has
// refused a malformed sequence before any handler runs.
func opID(ctx context.Context, o *alluxiopb.FileSystemMasterCommonPOptions) *master.OpID {
	id := o.GetOperationId()
	if id == nil {
		return nil
	}
	lo := uint64(id.GetLeastSignificantBits())
	seq, _ := opSeq(ctx)
	if seq != 0 {
		lo -= seq
	} else {
		seq = 1
	}
	return &master.OpID{ClientHi: uint64(id.GetMostSignificantBits()), ClientLo: lo, Seq: seq}
}

// opSeq reads the sequence number Halo's client sends with an operation
// id; 0 when the call carries none.
func opSeq(ctx context.Context) (uint64, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(client.OpSeqMetadataKey)
	if len(vals) == 0 {
		return 0, nil
	}
	seq, err := strconv.ParseUint(vals[0], 10, 64)
	if err != nil || seq == 0 || len(vals) > 1 {
		return 0, fserr.New(fserr.InvalidArgument, "metadata %s must be one positive decimal sequence number, not %q", client.OpSeqMetadataKey, strings.Join(vals, ","))
	}
	return seq, nil
}

// mode turns Alluxio's owner, group and other bits into a Unix mode; nil
// (no mode given) leaves the default to the master's umask.
func mode(m *alluxiopb.PMode) *uint32 {
	if m == nil {
		return nil
	}
	v := bits(m.GetOwnerBits())<<6 | bits(m.GetGroupBits())<<3 | bits(m.GetOtherBits())
	return &v
}

// bits: Alluxio numbers NONE..ALL from 1 in rwx order.
func bits(b alluxiopb.Bits) uint32 {
	if b < alluxiopb.Bits_NONE || b > alluxiopb.Bits_ALL {
		return 0
	}
	return uint32(b - alluxiopb.Bits_NONE)
}

// ttl: Alluxio's -1 (and anything not positive) means none, Halo's 0.
func ttl(o *alluxiopb.FileSystemMasterCommonPOptions) int64 {
	return max(o.GetTtl(), 0)
}

// fileInfo is Alluxio's description of an inode.
func fileInfo(st *journalpb.FileStatus) *alluxiopb.FileInfo {
	blockIDs := make([]int64, len(st.BlockIds))
	for i, id := range st.BlockIds {
		blockIDs[i] = int64(id)
	}
	ttlMs := st.TtlMs
	if ttlMs <= 0 {
		ttlMs = -1
	}
	name := st.Name
	if st.Path == "/" {
		name = ""
	}
	persisted := st.PersistenceState == journalpb.PersistenceState_PERSISTED
	// A folder's length is its number of children, as in Alluxio. An
	// empty file is entirely cached; what workers hold of others is
	// added by fileSystem.info.
	length := st.Length
	cached := int32(0)
	if st.IsDirectory {
		length = int64(st.ChildCount)
	} else if st.Length == 0 {
		cached = 100
	}
	return &alluxiopb.FileInfo{
		FileId:                 proto.Int64(int64(st.Id)),
		Name:                   proto.String(name),
		Path:                   proto.String(st.Path),
		UfsPath:                proto.String(st.UfsPath),
		Length:                 proto.Int64(length),
		BlockSizeBytes:         proto.Int64(st.BlockSizeBytes),
		CreationTimeMs:         proto.Int64(st.CreationTimeMs),
		Completed:              proto.Bool(st.Completed),
		Folder:                 proto.Bool(st.IsDirectory),
		Pinned:                 proto.Bool(st.Pinned),
		Cacheable:              proto.Bool(!st.IsDirectory),
		Persisted:              proto.Bool(persisted),
		BlockIds:               blockIDs,
		LastModificationTimeMs: proto.Int64(st.LastModificationTimeMs),
		LastAccessTimeMs:       proto.Int64(st.LastModificationTimeMs),
		Ttl:                    proto.Int64(ttlMs),
		TtlAction:              alluxiopb.TtlAction_FREE.Enum(),
		Owner:                  proto.String(st.Owner),
		Group:                  proto.String(st.Group),
		Mode:                   proto.Int32(int32(st.Mode)),
		PersistenceState:       proto.String(st.PersistenceState.String()),
		MountPoint:             proto.Bool(st.MountPoint),
		MountId:                proto.Int64(int64(st.MountId)),
		InAlluxioPercentage:    proto.Int32(cached),
		InMemoryPercentage:     proto.Int32(cached),
		UfsFingerprint:         proto.String(""),
		ReplicationMax:         proto.Int32(-1),
		ReplicationMin:         proto.Int32(0),
		Acl: &alluxiopb.PAcl{
			Owner: proto.String(st.Owner), OwningGroup: proto.String(st.Group),
			Mode: proto.Int32(int32(st.Mode)), IsDefault: proto.Bool(false),
		},
	}
}

// ufsType names a UFS by its URI's scheme, "local" for a plain path.
func ufsType(uri string) string {
	if i := strings.Index(uri, "://"); i > 0 {
		return uri[:i]
	}
	return "local"
}
