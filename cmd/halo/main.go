// Command halo is Halo's one binary: masters, the fs and fsadmin tools,
// formatting and benchmarks, configured the way an Alluxio deployment is.
// It holds cobra commands only; starting and formatting a master is
// package master/boot's work.
package main

import (
	"context"
	"os"

	"github.com/halo-fs/halo/cli"
)

func main() {
	os.Exit(cli.Execute(context.Background(), newRootCommand(), os.Args[1:], os.Stderr))
}
