package halorpc

import (
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/halopb"
)

// Translations between HaloService's requests and the arguments of the
// master's operations.

func opIDFrom(id *halopb.OperationID) *master.OpID {
	if id == nil {
		return nil
	}
	return &master.OpID{ClientHi: id.ClientHi, ClientLo: id.ClientLo, Seq: id.Seq}
}

func loadMetadataOptionsFrom(r *halopb.LoadMetadataRequest) master.LoadMetadataOptions {
	return master.LoadMetadataOptions{OpID: opIDFrom(r.OpId), Path: r.Path, Recursive: r.Recursive}
}
