package alluxiorpc_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/proto/alluxiopb"
)

// listNames lists path with the given metadata load type and returns the
// names listed.
func listNames(ctx context.Context, fs alluxiopb.FileSystemMasterClientServiceClient, path string, load alluxiopb.LoadMetadataPType) ([]string, error) {
	stream, err := fs.ListStatus(ctx, &alluxiopb.ListStatusPRequest{Path: proto.String(path), Options: &alluxiopb.ListStatusPOptions{LoadMetadataType: load.Enum()}})
	if err != nil {
		return nil, err
	}
	var names []string
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			slices.Sort(names)
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		for _, fi := range resp.GetFileInfos() {
			names = append(names, fi.GetName())
		}
	}
}

// Files that exist in the UFS but not in the namespace, by Alluxio's
// metadata load types: NEVER finds nothing; ONCE and ALWAYS load a path on
// first access, through GetStatus as through ListStatus; a folder listed
// once is listed again from the UFS only under ALWAYS.
func TestMetadataLoadTypes(t *testing.T) {
	for _, load := range []alluxiopb.LoadMetadataPType{alluxiopb.LoadMetadataPType_NEVER, alluxiopb.LoadMetadataPType_ONCE, alluxiopb.LoadMetadataPType_ALWAYS} {
		t.Run(load.String(), func(t *testing.T) {
			ufsRoot := t.TempDir()
			write := func(rel string) {
				t.Helper()
				p := filepath.Join(ufsRoot, rel)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("deep/er/file")
			write("dir/a")
			conn := startMaster(t, map[string]string{"alluxio.master.mount.table.root.ufs": ufsRoot})
			ctx := authenticate(t, conn, currentUser(t), "channel-load")
			fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
			rootMount(t, ctx, conn)

			resp, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/deep/er/file"), Options: &alluxiopb.GetStatusPOptions{LoadMetadataType: load.Enum()}})
			if load == alluxiopb.LoadMetadataPType_NEVER {
				if status.Code(err) != codes.NotFound {
					t.Errorf("status of a file only in the UFS: %v, %v; want NotFound", resp.GetFileInfo(), err)
				}
			} else if err != nil || resp.GetFileInfo().GetLength() != 5 || resp.GetFileInfo().GetPersistenceState() != "PERSISTED" {
				t.Errorf("status of a file only in the UFS: %v, %v; want it loaded, 5 bytes, PERSISTED", resp.GetFileInfo(), err)
			}

			names, err := listNames(ctx, fs, "/dir", load)
			if load == alluxiopb.LoadMetadataPType_NEVER {
				if status.Code(err) != codes.NotFound {
					t.Errorf("listing of a folder only in the UFS: %v, %v; want NotFound", names, err)
				}
				return
			}
			if err != nil || !slices.Equal(names, []string{"a"}) {
				t.Fatalf("listing of a folder only in the UFS: %v, %v; want [a]", names, err)
			}
			write("dir/b")
			want := []string{"a"}
			if load == alluxiopb.LoadMetadataPType_ALWAYS {
				want = []string{"a", "b"}
			}
			if names, err := listNames(ctx, fs, "/dir", load); err != nil || !slices.Equal(names, want) {
				t.Errorf("listing again after the UFS gained a file: %v, %v; want %v", names, err, want)
			}
		})
	}
}
