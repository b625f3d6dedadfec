package e2e

import (
	"slices"
	"testing"

	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/workers"
)

// Hadoop's own FileSystem contract tests (hadoop-common 3.3.6) through
// Alluxio's Hadoop client against three Raft masters and three workers,
// with the contract declared in internal/testinfra/alluxio/contract/
// halo-contract.xml. Every case in contractPassing must pass: the set
// does not shrink. The others are logged with their reasons.
func TestHadoopFileSystemContract(t *testing.T) {
	c, conf := startAlluxioCompatibleRaft(t, nil)
	startWorkers(t, c, 3, func(w *workers.Worker) { w.Props["alluxio.worker.tieredstore.level0.dirs.quota"] = "512MB" })
	conf["alluxio.user.block.size.bytes.default"] = "1MB"
	cases := alluxio.RunContractTests(t, conf, alluxio.ContractSuites...)
	passed := map[string]bool{}
	for _, tc := range cases {
		if tc.Outcome == "PASS" {
			passed[tc.Name] = true
		} else {
			t.Logf("%s %s: %s", tc.Outcome, tc.Name, tc.Detail)
		}
	}
	t.Logf("%d of %d contract cases passed", len(passed), len(cases))
	for _, name := range contractPassing {
		if !passed[name] {
			t.Errorf("contract case %s no longer passes", name)
		}
	}
	for name := range passed {
		if !slices.Contains(contractPassing, name) {
			t.Logf("contract case %s passes but is not in contractPassing: add it", name)
		}
	}
}

// contractPassing are the contract cases that pass against Halo.
var contractPassing = []string{}
