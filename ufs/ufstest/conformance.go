// Package ufstest holds the conformance suite that every ufs.Store adapter
// runs, so that the local, S3 and HDFS adapters are held to one contract.
package ufstest

import (
	"testing"

	"github.com/halo-fs/halo/ufs"
)

// conformanceTest is one subtest of the suite. needs, if set, says which
// capability the test relies on; the test is skipped only when the store
// reports it lacks that capability.
type conformanceTest struct {
	name  string
	needs func(ufs.Capabilities) bool
	run   func(t *testing.T, s ufs.Store)
}

// RunConformance runs the suite against stores made by newStore. Subtests
// run in parallel, each with its own store from newStore, which must be
// empty and used by no other subtest (a fresh directory, or a fresh prefix
// in a bucket); newStore may register its own cleanup with t.Cleanup. The
// suite closes every store it is given.
func RunConformance(t *testing.T, newStore func(t *testing.T) ufs.Store) {
	tests := []conformanceTest{
		{name: "CreateAndRead", run: testCreateAndRead},
		{name: "InvisibleUntilClose", run: testInvisibleUntilClose},
		{name: "Overwrite", run: testOverwrite},
		{name: "CreateOntoDirectory", run: testCreateOntoDirectory},
		{name: "AbortLeavesNothing", run: testAbortLeavesNothing},
		{name: "WriterLifecycle", run: testWriterLifecycle},
		{name: "ReadMissing", run: testReadMissing},
		{name: "RangedRead", run: testRangedRead},
		{name: "List", run: testList},
		{name: "Walk", run: testWalk},
		{name: "PagedListing", run: testPagedListing},
		{name: "DeleteFile", run: testDeleteFile},
		{name: "DeleteMissing", run: testDeleteMissing},
		{name: "DeleteNonEmptyDirectory", run: testDeleteNonEmptyDirectory},
		{name: "DeleteAll", run: testDeleteAll},
		{name: "RootIsProtected", run: testRootIsProtected},
		{name: "RenameFile", run: testRenameFile},
		{name: "RenameDirectory", needs: func(c ufs.Capabilities) bool { return c.DirectoryRename }, run: testRenameDirectory},
		{name: "Mkdirs", run: testMkdirs},
		{name: "ExistsViaStat", run: testExistsViaStat},
		{name: "LargeFile", run: testLargeFile},
		{name: "UnicodeNames", run: testUnicodeNames},
		{name: "InvalidPaths", run: testInvalidPaths},
		{name: "ConcurrentWritersDistinctFiles", run: testConcurrentDistinct},
		{name: "ConcurrentCreatorsOneWins", needs: func(c ufs.Capabilities) bool { return c.ConditionalCreate }, run: testConcurrentOneWins},
		{name: "Cancellation", run: testCancellation},
		{name: "UseAfterClose", run: testUseAfterClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			if tc.needs != nil && !tc.needs(s.Capabilities()) {
				t.Skipf("%s lacks the capability this test needs (%+v)", s.URI(), s.Capabilities())
			}
			tc.run(t, s)
		})
	}
}
