package master_test

import (
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/alluxiorpc"
	"github.com/halo-fs/halo/master/halorpc"
)

func init() {
	master.HaloAPI = halorpc.Extension
	master.AlluxioAPI = alluxiorpc.Extension
}
