package halorpc

import (
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/halopb"
)

func TestValidateRequest(t *testing.T) {
	longPath := "/" + strings.Repeat("d/", fsm.MaxPathBytes/2)
	for _, tc := range []struct {
		name string
		req  any
		code fserr.Code
		want string
	}{
		{"load metadata", &halopb.LoadMetadataRequest{Path: "//"}, fserr.InvalidPath, "double slash"},
		{"load metadata long path", &halopb.LoadMetadataRequest{Path: longPath}, fserr.InvalidPath, "path: invalid path: 4097 bytes"},
		{"quorum", &halopb.QuorumMemberRequest{Address: strings.Repeat("h", master.MaxAddressBytes+1)}, fserr.InvalidArgument, "address of 513 bytes"},
		{"reads are not checked here", &halopb.Empty{}, fserr.OK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateRequest(tc.req)
			if fserr.CodeOf(err) != tc.code || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("validateRequest = %v, want code %v mentioning %q", err, tc.code, tc.want)
			}
		})
	}
}
