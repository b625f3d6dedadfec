package halorpc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/halopb"
)

func TestValidateRequest(t *testing.T) {
	longPath := "/" + strings.Repeat("d/", fsm.MaxPathBytes/2)
	longComponent := "/" + strings.Repeat("c", fsm.MaxComponentBytes+1)
	manyOptions := map[string]string{}
	for i := 0; i <= master.MaxMountOptions; i++ {
		manyOptions[fmt.Sprint("k", i)] = "v"
	}
	for _, tc := range []struct {
		name string
		req  any
		code fserr.Code
		want string
	}{
		{"create", &halopb.CreateFileRequest{Path: "/a/b"}, fserr.OK, ""},
		{"create long path", &halopb.CreateFileRequest{Path: longPath}, fserr.InvalidPath, "path: invalid path: 4097 bytes"},
		{"mkdir long name", &halopb.CreateDirectoryRequest{Path: longComponent}, fserr.InvalidPath, "component of 256 bytes"},
		{"rename bad destination", &halopb.RenameRequest{Src: "/a", Dst: longPath}, fserr.InvalidPath, "destination: "},
		{"delete relative", &halopb.DeleteRequest{Path: "a"}, fserr.InvalidPath, "must be absolute"},
		{"set attribute nil", &halopb.SetAttributeRequest{}, fserr.InvalidArgument, "without attributes"},
		{"chown", &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/a", HasOwner: true, Owner: "bob"}}, fserr.OK, ""},
		{"chown long", &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/a", HasOwner: true, Owner: strings.Repeat("o", 300)}}, fserr.InvalidArgument, "owner of 300 bytes"},
		{"chgrp empty", &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/a", HasGroup: true}}, fserr.InvalidArgument, "group is empty"},
		{"owner ignored without flag", &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/a", Owner: "x:y"}}, fserr.OK, ""},
		{"complete", &halopb.CompleteFileRequest{Path: "/a", BlockIds: make([]uint64, master.MaxBlocksPerFile)}, fserr.OK, ""},
		{"complete too many blocks", &halopb.CompleteFileRequest{Path: "/a", BlockIds: make([]uint64, master.MaxBlocksPerFile+1)}, fserr.InvalidArgument, "100001 blocks"},
		{"mount", &halopb.MountRequest{Path: "/m", UfsUri: "file:///tmp", Options: map[string]string{"k": "v"}}, fserr.OK, ""},
		{"mount long URI", &halopb.MountRequest{Path: "/m", UfsUri: strings.Repeat("u", master.MaxURIBytes+1)}, fserr.InvalidArgument, "UFS URI of 4097 bytes"},
		{"mount many options", &halopb.MountRequest{Path: "/m", Options: manyOptions}, fserr.InvalidArgument, "129 mount options"},
		{"mount long option name", &halopb.MountRequest{Path: "/m", Options: map[string]string{strings.Repeat("k", 257): ""}}, fserr.InvalidArgument, "mount option name of 257 bytes"},
		{"mount long option value", &halopb.MountRequest{Path: "/m", Options: map[string]string{"s3a.secretKey": strings.Repeat("v", master.MaxMountOptionValueBytes+1)}}, fserr.InvalidArgument, "value of mount option s3a.secretKey"},
		{"mount bad point", &halopb.MountRequest{Path: "/m/../x"}, fserr.InvalidPath, "mount point: "},
		{"unmount", &halopb.UnmountRequest{Path: ""}, fserr.InvalidPath, "path is empty"},
		{"load metadata", &halopb.LoadMetadataRequest{Path: "//"}, fserr.InvalidPath, "double slash"},
		{"backup", &halopb.BackupRequest{Directory: strings.Repeat("b", master.MaxURIBytes+1)}, fserr.InvalidArgument, "backup folder of 4097 bytes"},
		{"quorum", &halopb.QuorumMemberRequest{Address: strings.Repeat("h", master.MaxAddressBytes+1)}, fserr.InvalidArgument, "address of 513 bytes"},
		{"reads are not checked here", &halopb.GetStatusRequest{Path: "relative"}, fserr.OK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateRequest(tc.req)
			if fserr.CodeOf(err) != tc.code || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("validateRequest = %v, want code %v mentioning %q", err, tc.code, tc.want)
			}
		})
	}
}
