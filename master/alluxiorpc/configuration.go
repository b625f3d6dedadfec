package alluxiorpc

import (
	"context"
	"crypto/md5"
	"encoding/hex"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// ProtocolVersion is the Alluxio release whose protocol Halo speaks. It is
// published as alluxio.version, which Alluxio's client requires in the
// cluster configuration.
const ProtocolVersion = "2.9.3"

// configuration publishes the deployment's properties, which Alluxio's
// client loads from the master before anything else. Path defaults
// (Alluxio's per-path configuration) are not supported: there are none.
// The configuration does not change during a master's life, so its
// listing and hash are computed once; clients ask for the hash every
// minute.
type configuration struct {
	alluxiopb.UnimplementedMetaMasterConfigurationServiceServer
	props []*alluxiopb.ConfigProperty
	hash  string
}

func newConfiguration(m *master.Master) *configuration {
	props, hash := clusterProperties(m.ClusterConfiguration())
	return &configuration{props: props, hash: hash}
}

func (c *configuration) GetConfiguration(_ context.Context, req *alluxiopb.GetConfigurationPOptions) (*alluxiopb.GetConfigurationPResponse, error) {
	resp := &alluxiopb.GetConfigurationPResponse{
		ClusterConfigHash: proto.String(c.hash),
		PathConfigHash:    proto.String(emptyHash),
	}
	if !req.GetIgnoreClusterConf() {
		resp.ClusterConfigs = c.props
	}
	return resp, nil
}

func (c *configuration) GetConfigHash(context.Context, *alluxiopb.GetConfigHashPOptions) (*alluxiopb.GetConfigHashPResponse, error) {
	return &alluxiopb.GetConfigHashPResponse{ClusterConfigHash: proto.String(c.hash), PathConfigHash: proto.String(emptyHash)}, nil
}

// emptyHash is the hash of no path configuration, as Alluxio computes it.
var emptyHash = func() string { h := md5.Sum(nil); return hex.EncodeToString(h[:]) }()

// clusterProperties turns the listing into Alluxio's form, adding
// alluxio.version, and hashes it so that a client notices a change.
func clusterProperties(listing []conf.KeyValue) ([]*alluxiopb.ConfigProperty, string) {
	h := md5.New()
	out := make([]*alluxiopb.ConfigProperty, 0, len(listing)+1)
	add := func(key, value string, source conf.Source) {
		p := &alluxiopb.ConfigProperty{Name: proto.String(key), Source: proto.String(string(source))}
		// An unset property has no value, as Alluxio's master sends it:
		// the client's checks read an empty one as set.
		if value != "" {
			p.Value = proto.String(value)
		}
		out = append(out, p)
		h.Write([]byte(key))
		h.Write([]byte{0})
		h.Write([]byte(value))
		h.Write([]byte{0})
	}
	for _, kv := range listing {
		if kv.Key != "alluxio.version" && alluxioCanParse(kv) {
			add(kv.Key, kv.Value, kv.Source)
		}
	}
	add("alluxio.version", ProtocolVersion, conf.SourceDefault)
	return out, hex.EncodeToString(h.Sum(nil))
}

// alluxioAuthTypes are the values of alluxio.security.authentication.type
// Alluxio's client can read; Halo's SECRET and CERTIFICATE would make it
// fail to load the cluster configuration at all.
var alluxioAuthTypes = map[string]bool{"NOSASL": true, "SIMPLE": true, "CUSTOM": true, "KERBEROS": true}

// alluxioCanParse leaves out a property whose value only Halo knows. The
// client then keeps its own setting, and a master that needs what the
// client cannot do refuses its calls saying which setting is missing.
func alluxioCanParse(kv conf.KeyValue) bool {
	if kv.Key == conf.KeyAuthenticationType {
		return alluxioAuthTypes[kv.Value]
	}
	return true
}
