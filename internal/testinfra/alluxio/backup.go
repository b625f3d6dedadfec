package alluxio

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protodelim"

	"github.com/halo-fs/halo/proto/alluxiopb"
)

// Backup is what `fsadmin backup` reported.
type Backup struct {
	// Path is the backup file on this machine: a gzip stream of
	// length-delimited alluxio.proto.journal.JournalEntry messages.
	Path string
	// Host is the master that wrote it, as it names itself (the machine's
	// host name, not the address it serves on).
	Host    string
	Entries int
}

// Backup runs the real `fsadmin backup DIR --local` against the master,
// which writes the backup into its Backups folder, and returns it.
func (m *Master) Backup(t testing.TB) Backup {
	t.Helper()
	stdout, stderr, code := AdminShell(t, m.ClientConf(), "backup", m.Backups, "--local")
	if code != 0 {
		t.Fatalf("fsadmin backup: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	b, err := ParseBackup(stdout)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ParseBackup reads the summary `fsadmin backup` prints after its
// progress lines:
//
//	Backup Host        : host
//	Backup URI         : file:///dir/alluxio-backup-2026-12-04-1796414298954.gz
//	Backup Entry Count : 6
func ParseBackup(stdout string) (Backup, error) {
	var b Backup
	var uri, entries string
	// The progress lines end in carriage returns, not newlines.
	for _, line := range strings.FieldsFunc(stdout, func(r rune) bool { return r == '\n' || r == '\r' }) {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "Backup Host":
			b.Host = value
		case "Backup URI":
			uri = value
		case "Backup Entry Count":
			entries = value
		}
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || u.Path == "" {
		return Backup{}, fmt.Errorf("fsadmin backup printed no local Backup URI (%q) in:\n%s", uri, stdout)
	}
	b.Path = u.Path
	if b.Entries, err = strconv.Atoi(entries); err != nil {
		return Backup{}, fmt.Errorf("fsadmin backup printed no Backup Entry Count in:\n%s", stdout)
	}
	return b, nil
}

// ReadBackup decodes a backup file: the journal entries of every master
// component, in the order the backup wrote them.
func ReadBackup(path string) ([]*alluxiopb.JournalEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", path, err)
	}
	r := bufio.NewReader(z)
	var entries []*alluxiopb.JournalEntry
	for {
		e := &alluxiopb.JournalEntry{}
		err := protodelim.UnmarshalFrom(r, e)
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, fmt.Errorf("backup %s: entry %d: %w", path, len(entries), err)
		}
		entries = append(entries, e)
	}
}
