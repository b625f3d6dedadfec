package client

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
)

// Translations between Alluxio's wire messages and the client's values,
// which are Halo's (halopb): its callers print and compare Halo's view of
// an inode, whichever protocol carried it.

// fileInfoFrom reads Alluxio's description of an inode. Alluxio gives a
// folder's number of children as its length, and -1 as "no TTL".
func fileInfoFrom(a *alluxiopb.FileInfo) *halopb.FileInfo {
	if a == nil {
		return nil
	}
	info := &halopb.FileInfo{
		Id:                     uint64(a.GetFileId()),
		Name:                   a.GetName(),
		Path:                   a.GetPath(),
		IsDirectory:            a.GetFolder(),
		Length:                 a.GetLength(),
		CreationTimeMs:         a.GetCreationTimeMs(),
		LastModificationTimeMs: a.GetLastModificationTimeMs(),
		Owner:                  a.GetOwner(),
		Group:                  a.GetGroup(),
		Mode:                   uint32(a.GetMode()),
		Completed:              a.GetCompleted(),
		Pinned:                 a.GetPinned(),
		TtlMs:                  max(a.GetTtl(), 0),
		PersistenceState:       halopb.PersistenceState(halopb.PersistenceState_value[a.GetPersistenceState()]),
		BlockSizeBytes:         a.GetBlockSizeBytes(),
		MountPoint:             a.GetMountPoint(),
		MountId:                uint64(a.GetMountId()),
		UfsPath:                a.GetUfsPath(),
		InAlluxioPercentage:    a.GetInAlluxioPercentage(),
	}
	for _, id := range a.GetBlockIds() {
		info.BlockIds = append(info.BlockIds, uint64(id))
	}
	if info.IsDirectory {
		info.ChildCount = uint32(info.Length)
		info.Length = 0
	}
	return info
}

func fileInfosFrom(in []*alluxiopb.FileInfo) []*halopb.FileInfo {
	out := make([]*halopb.FileInfo, len(in))
	for i, a := range in {
		out[i] = fileInfoFrom(a)
	}
	return out
}

// pmode is Alluxio's mode: owner, group and other bits numbered from NONE.
func pmode(mode uint32) *alluxiopb.PMode {
	bits := func(shift uint) *alluxiopb.Bits {
		return (alluxiopb.Bits_NONE + alluxiopb.Bits(mode>>shift&7)).Enum()
	}
	return &alluxiopb.PMode{OwnerBits: bits(6), GroupBits: bits(3), OtherBits: bits(0)}
}

// defaultOr is nil (the master's default) for a zero mode.
func defaultOr(mode uint32) *alluxiopb.PMode {
	if mode == 0 {
		return nil
	}
	return pmode(mode)
}

// alluxioTTL is Alluxio's TTL, where -1 means none.
func alluxioTTL(ms int64) *int64 {
	if ms <= 0 {
		return proto.Int64(-1)
	}
	return proto.Int64(ms)
}

// setAttributeOptions are Alluxio's for what attr's has_* flags set.
func setAttributeOptions(id opID, attr *halopb.SetAttributeOptions) *alluxiopb.SetAttributePOptions {
	o := &alluxiopb.SetAttributePOptions{CommonOptions: id.common(), Recursive: proto.Bool(attr.GetRecursive())}
	if attr.GetHasMode() {
		o.Mode = pmode(attr.GetMode())
	}
	if attr.GetHasOwner() {
		o.Owner = proto.String(attr.GetOwner())
	}
	if attr.GetHasGroup() {
		o.Group = proto.String(attr.GetGroup())
	}
	if attr.GetHasPinned() {
		o.Pinned = proto.Bool(attr.GetPinned())
	}
	if attr.GetHasTtl() {
		o.CommonOptions.Ttl = alluxioTTL(attr.GetTtlMs())
	}
	if attr.GetHasPersisted() {
		o.Persisted = proto.Bool(attr.GetPersisted())
	}
	return o
}

// mountPointsFrom lists Alluxio's mount table by mount point path.
func mountPointsFrom(table map[string]*alluxiopb.MountPointInfo) []*halopb.MountPointInfo {
	out := make([]*halopb.MountPointInfo, 0, len(table))
	for path, m := range table {
		out = append(out, &halopb.MountPointInfo{
			MountId:  uint64(m.GetMountId()),
			Path:     path,
			UfsUri:   m.GetUfsUri(),
			ReadOnly: m.GetReadOnly(),
			Shared:   m.GetShared(),
			Options:  m.GetProperties(),
		})
	}
	slices.SortFunc(out, func(a, b *halopb.MountPointInfo) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// netAddress is Alluxio's form of a quorum member's host:port.
func netAddress(address string) (*alluxiopb.NetAddress, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fserr.New(fserr.InvalidArgument, "quorum member address %q is not host:port: %v", address, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return nil, fserr.New(fserr.InvalidArgument, "quorum member address %q has no valid port", address)
	}
	return &alluxiopb.NetAddress{Host: proto.String(host), RpcPort: proto.Int32(int32(p))}, nil
}
