package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/halo-fs/halo/fserr"
)

// MaxNameBytes bounds user and group names, as most systems do.
const MaxNameBytes = 255

// CheckName validates a user or group name. Halo accepts what POSIX
// systems, Hadoop and Alluxio use in practice (including Kerberos-style
// user@REALM, DOMAIN\user and machine accounts ending in $, and non-ASCII
// letters): 1 to 255 bytes of UTF-8, not "." or "..", not starting with
// '-', and no control characters, white space, ':' (the owner:group
// separator of chown and ACLs), ',' (the list separator of group
// settings) or '/'. what ("user name", "owner", "group") starts the
// error message.
func CheckName(what, name string) error {
	switch {
	case name == "":
		return fserr.New(fserr.InvalidArgument, "%s is empty", what)
	case len(name) > MaxNameBytes:
		return fserr.New(fserr.InvalidArgument, "%s of %d bytes is longer than the limit of %d", what, len(name), MaxNameBytes)
	case !utf8.ValidString(name):
		return fserr.New(fserr.InvalidArgument, "%s %q is not valid UTF-8", what, name)
	case name == "." || name == "..":
		return fserr.New(fserr.InvalidArgument, "%s %q is not a name", what, name)
	case name[0] == '-':
		return fserr.New(fserr.InvalidArgument, "%s %q starts with '-'", what, name)
	}
	if i := strings.IndexFunc(name, forbiddenInName); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fserr.New(fserr.InvalidArgument, "%s %q contains %q, which names may not contain (control characters, white space, ':', ',' and '/')", what, name, r)
	}
	return nil
}

func forbiddenInName(r rune) bool {
	return unicode.IsControl(r) || unicode.IsSpace(r) || r == ':' || r == ',' || r == '/'
}
