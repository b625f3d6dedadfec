package masters

import (
	"testing"

	"github.com/halo-fs/halo/internal/testcerts"
)

// TLSFiles are PEM files made by GenerateTLS.
type TLSFiles = testcerts.Files

// GenerateTLS makes a throwaway CA and one certificate, valid for the given
// IP addresses, that every master and client of a test shares.
func GenerateTLS(t testing.TB, ips ...string) TLSFiles {
	t.Helper()
	ca := testcerts.NewCA(t)
	return ca.WriteFiles(t, t.TempDir(), "master", ca.Issue(t, "halo test master", ips...))
}

// TLSProps returns the properties that turn mutual TLS on with f.
func TLSProps(f TLSFiles) map[string]string {
	return map[string]string{
		"halo.security.tls.cert.file": f.Cert,
		"halo.security.tls.key.file":  f.Key,
		"halo.security.tls.ca.file":   f.CA,
	}
}
