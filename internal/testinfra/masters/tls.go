package masters

import "github.com/halo-fs/halo/internal/testcerts"

// TLSFiles are the PEM files of a test's CA and certificate (testcerts).
type TLSFiles = testcerts.Files

// TLSProps returns the properties that turn mutual TLS on with f.
func TLSProps(f TLSFiles) map[string]string {
	return map[string]string{
		"halo.security.tls.cert.file": f.Cert,
		"halo.security.tls.key.file":  f.Key,
		"halo.security.tls.ca.file":   f.CA,
	}
}
