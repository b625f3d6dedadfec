package sharedsecret

import (
	"context"
	"errors"
	"net"

	"google.golang.org/grpc/credentials"
)

// AuthInfo is what the master knows about a connection after the
// handshake. Refusal is nil when the client proved the secret.
type AuthInfo struct {
	credentials.CommonAuthInfo
	// Inner is the AuthInfo of the transport underneath (TLS), if any.
	Inner   credentials.AuthInfo
	Refusal error
}

// AuthType implements credentials.AuthInfo.
func (a AuthInfo) AuthType() string { return "halo-shared-secret" }

// Credentials runs the handshake over another transport's (TLS, or
// insecure for plain TCP). The master side never fails a connection for a
// missing or wrong proof: it records the refusal in AuthInfo, so that every
// call on it is answered with an error that says what is wrong instead of a
// dropped connection the client would retry.
type Credentials struct {
	inner  credentials.TransportCredentials
	secret []byte
}

// NewCredentials wraps inner.
func NewCredentials(inner credentials.TransportCredentials, secret []byte) *Credentials {
	return &Credentials{inner: inner, secret: secret}
}

// ClientHandshake implements credentials.TransportCredentials.
func (c *Credentials) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.inner.ClientHandshake(ctx, authority, raw)
	if err != nil {
		return nil, nil, err
	}
	if err := Prove(conn, c.secret); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, AuthInfo{CommonAuthInfo: commonOf(info), Inner: info}, nil
}

// ServerHandshake implements credentials.TransportCredentials.
func (c *Credentials) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.inner.ServerHandshake(raw)
	if err != nil {
		return nil, nil, err
	}
	next, refusal, err := Verify(conn, c.secret)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return next, AuthInfo{CommonAuthInfo: commonOf(info), Inner: info, Refusal: refusal}, nil
}

func commonOf(info credentials.AuthInfo) credentials.CommonAuthInfo {
	if withLevel, ok := info.(interface {
		GetCommonAuthInfo() credentials.CommonAuthInfo
	}); ok {
		return withLevel.GetCommonAuthInfo()
	}
	return credentials.CommonAuthInfo{SecurityLevel: credentials.NoSecurity}
}

// Info implements credentials.TransportCredentials.
func (c *Credentials) Info() credentials.ProtocolInfo { return c.inner.Info() }

// Clone implements credentials.TransportCredentials.
func (c *Credentials) Clone() credentials.TransportCredentials {
	return &Credentials{inner: c.inner.Clone(), secret: c.secret}
}

// OverrideServerName implements credentials.TransportCredentials; gRPC no
// longer calls it (grpc.WithAuthority replaces it).
func (c *Credentials) OverrideServerName(string) error {
	return errors.New("sharedsecret: OverrideServerName is not supported; use grpc.WithAuthority")
}
