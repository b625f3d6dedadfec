package master

import (
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/master/web"
)

// webOperators is how the web port's operator endpoints authenticate in
// authentication mode a: as the RPC port does.
func webOperators(a identity.Authentication) web.Operators {
	switch a {
	case identity.Secret:
		return web.SignedBySecret
	case identity.Certificate:
		return web.CertificateRequired
	}
	return web.Unchecked
}
