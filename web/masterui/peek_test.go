package masterui

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// writeFile journals a complete file of len(content) bytes at path, and
// gives f its bytes.
func (f *fakeMaster) writeFile(path string, content []byte) {
	f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{Path: path, Mode: 0o644, BlockSizeBytes: 1 << 20}}})
	f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CompleteFile{CompleteFile: &journalpb.CompleteFileEntry{Path: path, Length: int64(len(content)), BlockIds: []uint64{9001}}}})
	if f.contents == nil {
		f.contents = map[string][]byte{}
	}
	f.contents[path] = content
}

func TestFilePageShowsTheFirstAndLastBytesAsText(t *testing.T) {
	f := newFakeMaster(t)
	content := []byte("first line\n" + strings.Repeat("x", 10000) + "\tlast <line>\n")
	f.writeFile("/t", content)
	s := serve(t, f, Config{})
	var b Browse
	getJSON(t, s, "/api/v1/master/webui_browse?path=/t", http.StatusOK, &b)
	if b.Head == nil || b.Tail == nil {
		t.Fatalf("no head or tail: %+v", b)
	}
	if b.Head.Text != string(content[:peekBytes]) || b.Head.Offset != 0 || b.Head.Hex != "" {
		t.Errorf("head = %+v, want the first %d bytes as text", b.Head, peekBytes)
	}
	if b.Tail.Text != string(content[len(content)-peekBytes:]) || b.Tail.Offset != int64(len(content)-peekBytes) {
		t.Errorf("tail = offset %d %q, want the last %d bytes as text", b.Tail.Offset, b.Tail.Text, peekBytes)
	}
	_, _, body := get(t, s, "/browse?path=/t")
	for _, want := range []string{"first line", "last &lt;line&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("the file's page lacks %q", want)
		}
	}
}

func TestFilePageShowsBinaryBytesAsHex(t *testing.T) {
	f := newFakeMaster(t)
	f.writeFile("/b", []byte{0x00, 0x01, 'A', 0xff, '\r'})
	s := serve(t, f, Config{})
	var b Browse
	getJSON(t, s, "/api/v1/master/webui_browse?path=/b", http.StatusOK, &b)
	if b.Head == nil || b.Head.Text != "" || !strings.Contains(b.Head.Hex, "00 01 41 ff 0d") {
		t.Fatalf("head = %+v, want a hex dump of 00 01 41 ff 0d", b.Head)
	}
	if b.Tail != nil {
		t.Errorf("a file shorter than %d bytes has a tail apart from its head: %+v", peekBytes, b.Tail)
	}
}

func TestFilePageShowsAShortFileWhole(t *testing.T) {
	f := newFakeMaster(t)
	f.writeFile("/s", []byte("héllo\n"))
	s := serve(t, f, Config{})
	var b Browse
	getJSON(t, s, "/api/v1/master/webui_browse?path=/s", http.StatusOK, &b)
	if b.Head == nil || b.Head.Text != "héllo\n" || b.Tail != nil {
		t.Fatalf("head %+v tail %+v, want the whole file as the head", b.Head, b.Tail)
	}
}

func TestFilePageShowsAReadErrorInsteadOfBytes(t *testing.T) {
	f := newFakeMaster(t)
	f.writeFile("/e", bytes.Repeat([]byte("a"), 10))
	f.readErr = fserr.New(fserr.Unavailable, "block 9001 is lost")
	s := serve(t, f, Config{})
	var b Browse
	getJSON(t, s, "/api/v1/master/webui_browse?path=/e", http.StatusOK, &b)
	if b.Head == nil || b.Head.Text != "" || b.Head.Hex != "" || !strings.Contains(b.Head.Error, "block 9001 is lost") {
		t.Fatalf("head = %+v, want the read's error and no bytes", b.Head)
	}
	code, _, body := get(t, s, "/browse?path=/e")
	if code != http.StatusOK || !strings.Contains(body, "block 9001 is lost") {
		t.Errorf("page %d lacks the read error:\n%s", code, body)
	}
}

func TestFilePageSaysWhyAnIncompleteFileShowsNoBytes(t *testing.T) {
	f := newFakeMaster(t)
	f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{Path: "/open", Mode: 0o644, BlockSizeBytes: 100}}})
	f.readErr = fserr.New(fserr.Internal, "an incomplete file must not be read")
	s := serve(t, f, Config{})
	var b Browse
	getJSON(t, s, "/api/v1/master/webui_browse?path=/open", http.StatusOK, &b)
	if b.Head != nil || b.Tail != nil || !strings.Contains(b.NoBytes, "not complete") {
		t.Fatalf("head %+v tail %+v note %q, want no bytes and why", b.Head, b.Tail, b.NoBytes)
	}
}
