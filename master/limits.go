package master

import (
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
)

// Entry and request limits. A request that breaks one is refused before
// anything is journaled, so that no single request can make a journal
// write fail (which stops a single master's writes, or deposes a leader)
// or bloat every checkpoint that follows.
//
// The per-field limits keep every entry a client can ask for far below the
// entry limit; only entries the leader builds itself (a LoadMetadata
// listing of a large UFS folder) can reach it.
const (
	// DefaultMaxEntryBytes is Alluxio's default for
	// alluxio.master.embedded.journal.entry.size.max, which Halo applies to
	// the journal of every HA mode.
	DefaultMaxEntryBytes = 10 << 20
	// MaxEntryBytesCeiling is the largest entry limit a master accepts:
	// half the 64 MiB record limit of the local and the shared journals,
	// so that an entry, and the RPC request it came from, always fit one
	// record.
	MaxEntryBytesCeiling = 32 << 20
	// rpcHeadroomBytes is what the RPC receive limit adds to the entry
	// limit: a request near the entry limit still arrives, and is answered
	// with the entry check's error, which names the key to change.
	rpcHeadroomBytes = 1 << 20
	// maxHeaderListBytes bounds a request's metadata (the user name
	// travels there). gRPC's default is 16 MiB; Java clients send at most 8 KiB.
	maxHeaderListBytes = 64 << 10

	// MaxBlocksPerFile bounds a completed file's block list: 100,000
	// blocks of the default 64 MiB are 6 TiB, and the list encodes in
	// about 1 MB.
	MaxBlocksPerFile = 100_000
	// MaxURIBytes bounds a UFS URI and a backup folder, as PATH_MAX does.
	MaxURIBytes = 4096
	// MaxMountOptions and the two that follow bound a mount's options
	// (credentials, endpoints): about 2 MB at most.
	MaxMountOptions          = 128
	MaxMountOptionKeyBytes   = 256
	MaxMountOptionValueBytes = 16 << 10
	// MaxAddressBytes bounds a host:port given to quorum administration.
	MaxAddressBytes = 512
)

// checkEntrySize refuses an entry whose journal record would be larger
// than limit.
func checkEntrySize(e *journalpb.Entry, limit int) error {
	if n := fsm.EncodedSize(e); n > limit {
		return fserr.New(fserr.ResourceExhausted,
			"the %s journal entry of this request is %d bytes, more than the limit of %d bytes (alluxio.master.embedded.journal.entry.size.max)",
			fsm.KindOf(e), n, limit)
	}
	return nil
}

// validateRequest checks a unary request of Halo's API against the limits
// above, before the handler runs; requests it does not know carry nothing
// that is journaled. The journaled operations check the same again in
// ops.go, where every API's requests pass.
func validateRequest(req any) error {
	switch r := req.(type) {
	case *halopb.CreateFileRequest:
		return createFileOptionsFrom(r).validate()
	case *halopb.CreateDirectoryRequest:
		return createDirectoryOptionsFrom(r).validate()
	case *halopb.RenameRequest:
		return checkRename(r.Src, r.Dst)
	case *halopb.DeleteRequest:
		return deleteOptionsFrom(r).validate()
	case *halopb.SetAttributeRequest:
		if r.Attr == nil {
			return errNoAttributes()
		}
		return setAttributeOptionsFrom(r.OpId, r.Attr).validate()
	case *halopb.CompleteFileRequest:
		return completeFileOptionsFrom(r).validate()
	case *halopb.MountRequest:
		return mountOptionsFrom(r).validate()
	case *halopb.UnmountRequest:
		return checkUnmount(r.Path)
	case *halopb.LoadMetadataRequest:
		return loadMetadataOptionsFrom(r).validate()
	case *halopb.BackupRequest:
		return checkLength("backup folder", r.Directory, MaxURIBytes)
	case *halopb.QuorumMemberRequest:
		return checkLength("address", r.Address, MaxAddressBytes)
	}
	return nil
}

func errNoAttributes() error {
	return fserr.New(fserr.InvalidArgument, "SetAttribute without attributes")
}

func (o CreateFileOptions) validate() error      { return checkPaths("path", o.Path) }
func (o CreateDirectoryOptions) validate() error { return checkPaths("path", o.Path) }
func (o DeleteOptions) validate() error          { return checkPaths("path", o.Path) }
func (o LoadMetadataOptions) validate() error    { return checkPaths("path", o.Path) }
func checkUnmount(path string) error             { return checkPaths("path", path) }
func checkRename(src, dst string) error          { return checkPaths("source", src, "destination", dst) }

// checkPaths takes (what, path) pairs and refuses the first bad path.
func checkPaths(whatAndPath ...string) error {
	for i := 0; i+1 < len(whatAndPath); i += 2 {
		if _, err := fsm.SplitPath(whatAndPath[i+1]); err != nil {
			return fserr.New(fserr.InvalidPath, "%s: %v", whatAndPath[i], err)
		}
	}
	return nil
}

func checkLength(what, s string, limit int) error {
	if len(s) > limit {
		return fserr.New(fserr.InvalidArgument, "%s of %d bytes is longer than the limit of %d", what, len(s), limit)
	}
	return nil
}

func (o SetAttributeOptions) validate() error {
	if err := checkPaths("path", o.Path); err != nil {
		return err
	}
	if o.Owner != nil {
		if err := identity.CheckName("owner", *o.Owner); err != nil {
			return err
		}
	}
	if o.Group != nil {
		return identity.CheckName("group", *o.Group)
	}
	return nil
}

func (o CompleteFileOptions) validate() error {
	if err := checkPaths("path", o.Path); err != nil {
		return err
	}
	if len(o.BlockIDs) > MaxBlocksPerFile {
		return fserr.New(fserr.InvalidArgument, "a file of %d blocks is more than the limit of %d blocks per file", len(o.BlockIDs), MaxBlocksPerFile)
	}
	return nil
}

func (o MountOptions) validate() error {
	if err := checkPaths("mount point", o.Path); err != nil {
		return err
	}
	if err := checkLength("UFS URI", o.UfsURI, MaxURIBytes); err != nil {
		return err
	}
	if len(o.Options) > MaxMountOptions {
		return fserr.New(fserr.InvalidArgument, "%d mount options are more than the limit of %d", len(o.Options), MaxMountOptions)
	}
	for k, v := range o.Options {
		if err := checkLength("mount option name", k, MaxMountOptionKeyBytes); err != nil {
			return err
		}
		if err := checkLength("the value of mount option "+k, v, MaxMountOptionValueBytes); err != nil {
			return err
		}
	}
	return nil
}
