package alluxioimport

import (
	"bytes"
	"compress/gzip"
	"io"
	"maps"
	"os"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/journalpb"
)

// fixture is the real backup in testdata, uncompressed (see its README).
func fixture(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/alluxio-2.9.3-backup.gz")
	if err != nil {
		t.Fatal(err)
	}
	z, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func restore(t *testing.T, im *Import) *fsm.FSM {
	t.Helper()
	f := fsm.New(fsm.DefaultConfig())
	if _, err := f.Restore(bytes.NewReader(im.Checkpoint)); err != nil {
		t.Fatalf("the translated checkpoint does not restore: %v", err)
	}
	return f
}

var superuser = &journalpb.Caller{User: "root", Superuser: true}

func TestTranslateRealBackup(t *testing.T) {
	data := fixture(t)
	if !IsBackup(data) {
		t.Fatal("IsBackup of a real Alluxio backup: false")
	}
	im, err := Translate(data)
	if err != nil {
		t.Fatal(err)
	}
	f := restore(t, im)
	type attrs struct {
		owner, group string
		mode         uint32
		dir          bool
		length       int64
		persistence  journalpb.PersistenceState
		ttlMs        int64
	}
	want := map[string]attrs{
		"/data":                  {"root", "root", 0o755, true, 0, journalpb.PersistenceState_PERSISTED, 0},
		"/data/a":                {"root", "root", 0o750, true, 0, journalpb.PersistenceState_PERSISTED, 0},
		"/data/a/b":              {"root", "daemon", 0o755, true, 0, journalpb.PersistenceState_NOT_PERSISTED, 0},
		"/data/a/b/f2":           {"root", "daemon", 0o644, false, 0, journalpb.PersistenceState_TO_BE_PERSISTED, 3600000},
		"/data/a/f1":             {"nobody", "nogroup", 0o600, false, 0, journalpb.PersistenceState_TO_BE_PERSISTED, 0},
		"/data/a/m2":             {"root", "root", 0o755, true, 0, journalpb.PersistenceState_PERSISTED, 0},
		"/data/empty":            {"root", "root", 0o755, true, 0, journalpb.PersistenceState_NOT_PERSISTED, 0},
		"/data/ext":              {"root", "root", 0o757, true, 0, journalpb.PersistenceState_PERSISTED, 0},
		"/data/ext/sub":          {"root", "root", 0o757, true, 0, journalpb.PersistenceState_PERSISTED, 0},
		"/data/ext/sub/data.txt": {"root", "root", 0o646, false, 5, journalpb.PersistenceState_PERSISTED, 0},
	}
	got := map[string]attrs{}
	err = f.ListStatus(superuser, "/", true, func(s *journalpb.FileStatus) error {
		got[s.Path] = attrs{s.Owner, s.Group, s.Mode, s.IsDirectory, s.Length, s.PersistenceState, s.TtlMs}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("imported tree:\n%v\nwant:\n%v", got, want)
	}
	if s, err := f.GetStatus(superuser, "/data/ext/sub/data.txt"); err != nil || len(s.BlockIds) != 1 || s.BlockSizeBytes != 64<<20 || !s.Completed {
		t.Errorf("data.txt: %v, %v; want one block of a 64 MiB block size, completed", s, err)
	}

	mounts := map[string]string{}
	for _, m := range f.MountTable() {
		mounts[m.Path] = m.UfsUri[strings.LastIndex(m.UfsUri, "/")+1:]
		if m.Path == "/data/ext" && (!m.ReadOnly || !m.Shared || m.Options["k1"] != "v1") {
			t.Errorf("mount %v: want read-only, shared, k1=v1", m)
		}
		if m.Path == "/data/a/m2" && (m.ReadOnly || m.Shared || len(m.Options) != 0) {
			t.Errorf("mount %v: want writable, not shared, no options", m)
		}
	}
	if want := map[string]string{"/data/ext": "external", "/data/a/m2": "nested"}; !maps.Equal(mounts, want) {
		t.Errorf("mounts %v; want %v", mounts, want)
	}

	for _, kind := range []string{"block_container_id_generator", "block_info", "inode_directory_id_generator", "cluster_info"} {
		if im.Skipped[kind] == 0 {
			t.Errorf("skipped %v: no %s counted", im.Skipped, kind)
		}
	}
	if len(im.Dropped) != 1 || im.Dropped[0] != "/data/a/b: ACL entries user:bob:rwx (Halo keeps owner, group and mode only)" {
		t.Errorf("dropped %q; want the ACL entry of /data/a/b", im.Dropped)
	}

	var rewritten bytes.Buffer
	if _, err := f.WriteCheckpoint(&rewritten); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rewritten.Bytes(), im.Checkpoint) {
		t.Error("the imported checkpoint is not the one Halo writes of the same namespace: a restore and a new checkpoint change its bytes")
	}

	again, err := Translate(data)
	if err != nil || !bytes.Equal(again.Checkpoint, im.Checkpoint) {
		t.Error("two translations of one backup differ: masters started with the same -i would disagree")
	}
}

func TestIsBackupRefusesHaloCheckpoints(t *testing.T) {
	var buf bytes.Buffer
	if _, err := fsm.New(fsm.DefaultConfig()).WriteCheckpoint(&buf); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"a Halo checkpoint": buf.Bytes(), "nothing": nil, "text": []byte("hello, world\n")} {
		if IsBackup(data) {
			t.Errorf("IsBackup(%s) = true", name)
		}
	}
}

// encode frames entries as a backup does.
func encode(t testing.TB, entries ...*alluxiopb.JournalEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range entries {
		if _, err := protodelim.MarshalTo(&buf, e); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func dir(id, parent int64, name string) *alluxiopb.JournalEntry {
	return &alluxiopb.JournalEntry{InodeDirectory: &alluxiopb.InodeDirectoryEntry{Id: &id, ParentId: &parent, Name: &name}}
}

func file(id, parent int64, name string) *alluxiopb.JournalEntry {
	return &alluxiopb.JournalEntry{InodeFile: &alluxiopb.InodeFileEntry{Id: &id, ParentId: &parent, Name: &name}}
}

func mountAt(path, ufs string) *alluxiopb.JournalEntry {
	return &alluxiopb.JournalEntry{AddMountPoint: &alluxiopb.AddMountPointEntry{AlluxioPath: &path, UfsPath: &ufs}}
}

func mountPoint(e *alluxiopb.JournalEntry) *alluxiopb.JournalEntry {
	e.InodeDirectory.MountPoint = proto.Bool(true)
	return e
}

func TestTranslateRefusesBadInput(t *testing.T) {
	real := fixture(t)
	root := dir(0, -1, "")
	cases := []struct {
		name, data, want string
	}{
		{"truncated", string(real[:len(real)/2]), "truncated"},
		{"not a message", string(append(encode(t, root), 0x05, 0xff, 0xff, 0xff, 0xff, 0xff)), "entry 1 at byte"},
		{"unknown parent", string(encode(t, root, dir(1, 0, "a"), file(2, 7, "f"))), `inode 2 ("f") names parent 7, which the backup does not hold`},
		{"duplicate path", string(encode(t, root, dir(1, 0, "a"), file(2, 1, "f"), file(3, 1, "f"))), "duplicate path /a/f"},
		{"duplicate id", string(encode(t, root, dir(1, 0, "a"), file(1, 0, "b"))), `inode 1 ("b") has the id of entry 1's ("a")`},
		{"file as parent", string(encode(t, root, file(1, 0, "f"), file(2, 1, "g"))), `names parent 1 ("f"), a file`},
		{"no root", string(encode(t, dir(1, 0, "a"))), "no root directory"},
		{"two roots", string(encode(t, root, dir(1, -1, "r"))), "the root is the only such inode"},
		{"cycle", string(encode(t, root, dir(1, 2, "a"), dir(2, 1, "b"))), "not reachable from the root"},
		{"bad name", string(encode(t, root, dir(1, 0, "a/b"))), `invalid name "a/b"`},
		{"name Halo refuses", string(encode(t, root, dir(1, 0, "\x00"))), `invalid name "\x00"`},
		{"journal operation", string(encode(t, root, &alluxiopb.JournalEntry{Rename: &alluxiopb.RenameEntry{Id: proto.Int64(1)}})), "entry 1 is a rename"},
		{"two payloads", string(encode(t, &alluxiopb.JournalEntry{InodeDirectory: root.InodeDirectory, AddMountPoint: mountAt("/m", "file:///m").AddMountPoint})), "2 payloads"},
		{"mount without a directory", string(encode(t, root, mountAt("/m", "file:///m"))), "mount point /m (UFS file:///m) has no directory"},
		{"mount point without a mount", string(encode(t, root, mountPoint(dir(1, 0, "m")))), "directory /m is a mount point, but the backup's mount table has no mount there"},
		{"mounted twice", string(encode(t, root, mountPoint(dir(1, 0, "m")), mountAt("/m", "file:///m"), mountAt("/m/", "file:///n"))), "mounted twice"},
		{"update of an unknown inode", string(encode(t, root, &alluxiopb.JournalEntry{UpdateInode: &alluxiopb.UpdateInodeEntry{Id: proto.Int64(9)}})), "update_inode of inode 9, which no earlier entry created"},
		{"unknown persistence state", string(encode(t, &alluxiopb.JournalEntry{InodeDirectory: &alluxiopb.InodeDirectoryEntry{Id: proto.Int64(0), ParentId: proto.Int64(-1), PersistenceState: proto.String("SOMEWHERE")}})), `unknown persistence state "SOMEWHERE"`},
		{"mode beyond the permission bits", string(encode(t, &alluxiopb.JournalEntry{InodeDirectory: &alluxiopb.InodeDirectoryEntry{Id: proto.Int64(0), ParentId: proto.Int64(-1), Mode: proto.Int32(0o70000)}})), "beyond the permission bits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im, err := Translate([]byte(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Translate = %v, %v; want an error containing %q", im, err, c.want)
			}
		})
	}
}

// TestTranslateAppliesUpdates covers the update entries, which a backup of
// a 2.9.3 master on the heap metastore does not hold but Alluxio may write.
// TestNewerAlluxioFieldsAreNamed: an entry with a field 2.9.3 lacks is
// still taken for an Alluxio backup, and refused saying why.
func TestNewerAlluxioFieldsAreNamed(t *testing.T) {
	e := dir(0, -1, "")
	e.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 1000, protowire.VarintType), 1))
	data := encode(t, e)
	if !IsBackup(data) {
		t.Error("IsBackup of an entry with a field unknown to 2.9.3: false")
	}
	if _, err := Translate(data); err == nil || !strings.Contains(err.Error(), "entry 0: it holds fields unknown to Alluxio 2.9.3's journal schema") {
		t.Errorf("Translate: %v; want an error naming the unknown fields", err)
	}
}

func TestTranslateAppliesUpdates(t *testing.T) {
	data := encode(t, dir(0, -1, ""), dir(1, 0, "d"), file(2, 1, "f"), dir(3, 0, "m"),
		&alluxiopb.JournalEntry{UpdateInode: &alluxiopb.UpdateInodeEntry{Id: proto.Int64(2), Name: proto.String("g"), Owner: proto.String("alice"), Group: proto.String("staff"), Mode: proto.Int32(0o640), PersistenceState: proto.String("PERSISTED")}},
		&alluxiopb.JournalEntry{UpdateInodeFile: &alluxiopb.UpdateInodeFileEntry{Id: proto.Int64(2), Length: proto.Int64(10), Completed: proto.Bool(true), SetBlocks: []int64{7}}},
		&alluxiopb.JournalEntry{UpdateInodeDirectory: &alluxiopb.UpdateInodeDirectoryEntry{Id: proto.Int64(3), MountPoint: proto.Bool(true)}},
		&alluxiopb.JournalEntry{JournalEntries: []*alluxiopb.JournalEntry{mountAt("/m", "file:///ufs")}},
	)
	im, err := Translate(data)
	if err != nil {
		t.Fatal(err)
	}
	f := restore(t, im)
	s, err := f.GetStatus(superuser, "/d/g")
	if err != nil {
		t.Fatal(err)
	}
	if s.Owner != "alice" || s.Group != "staff" || s.Mode != 0o640 || s.Length != 10 || !s.Completed || len(s.BlockIds) != 1 || s.BlockIds[0] != 7 || s.PersistenceState != journalpb.PersistenceState_PERSISTED {
		t.Errorf("updated file: %v", s)
	}
	if m, err := f.GetStatus(superuser, "/m"); err != nil || !m.MountPoint {
		t.Errorf("/m after update_inode_directory and a merged add_mount_point: %v, %v; want a mount point", m, err)
	}
}

// FuzzAlluxioBackup: any input is translated or refused with an error,
// never a panic, and whatever is translated restores into a Halo master.
func FuzzAlluxioBackup(f *testing.F) {
	real := fixture(f)
	f.Add(real)
	f.Add(real[:len(real)/3])
	f.Add(encode(f, dir(0, -1, ""), dir(1, 0, "a"), file(2, 1, "f"), mountPoint(dir(3, 0, "m")), mountAt("/m", "file:///m")))
	f.Fuzz(func(t *testing.T, data []byte) {
		IsBackup(data)
		im, err := Translate(data)
		if err != nil {
			return
		}
		restore(t, im)
	})
}
