package alluxiorpc

import (
	"context"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// serviceVersions are the versions of Alluxio 2.9.3's services that Halo
// serves; a client refuses a master whose version is below its own.
var serviceVersions = map[alluxiopb.ServiceType]int64{
	alluxiopb.ServiceType_FILE_SYSTEM_MASTER_CLIENT_SERVICE: 2,
	alluxiopb.ServiceType_BLOCK_MASTER_CLIENT_SERVICE:       2,
	alluxiopb.ServiceType_META_MASTER_CONFIG_SERVICE:        2,
	alluxiopb.ServiceType_META_MASTER_CLIENT_SERVICE:        2,
	alluxiopb.ServiceType_METRICS_MASTER_CLIENT_SERVICE:     2,
	alluxiopb.ServiceType_JOURNAL_MASTER_CLIENT_SERVICE:     1,
	alluxiopb.ServiceType_BLOCK_MASTER_WORKER_SERVICE:       2,
	alluxiopb.ServiceType_FILE_SYSTEM_MASTER_WORKER_SERVICE: 2,
}

// versions answers Alluxio's version probe, which is also how its client
// finds the primary: the first master that answers it is the one.
type versions struct {
	alluxiopb.UnimplementedServiceVersionClientServiceServer
}

func (versions) GetServiceVersion(_ context.Context, req *alluxiopb.GetServiceVersionPRequest) (*alluxiopb.GetServiceVersionPResponse, error) {
	v, ok := serviceVersions[req.GetServiceType()]
	if !ok {
		return nil, fserr.New(fserr.Unimplemented, "this master does not serve Alluxio's %s", req.GetServiceType())
	}
	return &alluxiopb.GetServiceVersionPResponse{Version: proto.Int64(v)}, nil
}
