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

// contractPassing are the contract cases that pass against Halo: 101 of
// the 108 the suites run. The seven others fail in Alluxio's Hadoop client,
// not in Halo: createNonRecursive is not implemented by
// alluxio.hadoop.FileSystem (Create.testCreateNewFile,
// Create.testOverwriteExistingFile, Open.testOpenFileReadZeroByte); a file
// cannot be opened before it is complete (Create.testSyncable); a
// positioned read past the end returns -1 instead of throwing
// (Seek.testReadSmallFile, Seek.testReadFullySmallFile) and a null buffer
// fails inside the client's stream (Seek.testReadNullBuffer).
var contractPassing = []string{
	"Create.testCreateFileOverExistingFileNoOverwrite",
	"Create.testCreateFileUnderFile",
	"Create.testCreateMakesParentDirs",
	"Create.testCreateUnderFileSubdir",
	"Create.testCreatedFileIsEventuallyVisible",
	"Create.testCreatedFileIsImmediatelyVisible",
	"Create.testCreatedFileIsVisibleOnFlush",
	"Create.testFileStatusBlocksizeEmptyFile",
	"Create.testFileStatusBlocksizeNonEmptyFile",
	"Create.testMkdirUnderFile",
	"Create.testMkdirUnderFileSubdir",
	"Create.testOverwriteEmptyDirectory",
	"Create.testOverwriteNonEmptyDirectory",
	"Delete.testDeleteDeepEmptyDir",
	"Delete.testDeleteEmptyDirNonRecursive",
	"Delete.testDeleteEmptyDirRecursive",
	"Delete.testDeleteNonEmptyDirNonRecursive",
	"Delete.testDeleteNonEmptyDirRecursive",
	"Delete.testDeleteNonexistentPathNonRecursive",
	"Delete.testDeleteNonexistentPathRecursive",
	"Delete.testDeleteSingleFile",
	"GetFileStatus.testComplexDirActions",
	"GetFileStatus.testGetFileStatusNonexistentFile",
	"GetFileStatus.testGetFileStatusRoot",
	"GetFileStatus.testListFilesEmptyDirectoryNonrecursive",
	"GetFileStatus.testListFilesEmptyDirectoryRecursive",
	"GetFileStatus.testListFilesFile",
	"GetFileStatus.testListFilesFileRecursive",
	"GetFileStatus.testListFilesNoDir",
	"GetFileStatus.testListLocatedStatusEmptyDirectory",
	"GetFileStatus.testListLocatedStatusFile",
	"GetFileStatus.testListLocatedStatusFiltering",
	"GetFileStatus.testListStatusEmptyDirectory",
	"GetFileStatus.testListStatusFile",
	"GetFileStatus.testListStatusFilteredFile",
	"GetFileStatus.testListStatusFilteredNoDir",
	"GetFileStatus.testListStatusFiltering",
	"GetFileStatus.testListStatusIteratorFile",
	"GetFileStatus.testListStatusIteratorNoDir",
	"GetFileStatus.testListStatusNoDir",
	"GetFileStatus.testLocatedStatusNoDir",
	"Mkdir.testCreateDirWithExistingDir",
	"Mkdir.testMkDirRmDir",
	"Mkdir.testMkDirRmRfDir",
	"Mkdir.testMkdirOverParentFile",
	"Mkdir.testMkdirSlashHandling",
	"Mkdir.testMkdirsDoesNotRemoveParentDirectories",
	"Mkdir.testMkdirsPopulatingAllNonexistentAncestors",
	"Mkdir.testNoMkdirOverFile",
	"Open.testAwaitFutureFailToFNFE",
	"Open.testAwaitFutureTimeoutFailToFNFE",
	"Open.testChainedFailureAwaitFuture",
	"Open.testFloatingPointLength",
	"Open.testFsIsEncrypted",
	"Open.testOpenFileApplyAsyncRead",
	"Open.testOpenFileApplyRead",
	"Open.testOpenFileExceptionallyTranslating",
	"Open.testOpenFileFailExceptionally",
	"Open.testOpenFileLazyFail",
	"Open.testOpenFileNullStatusButFileLength",
	"Open.testOpenFileTwice",
	"Open.testOpenFileUnknownOption",
	"Open.testOpenFileUnknownOptionLong",
	"Open.testOpenReadDir",
	"Open.testOpenReadDirWithChild",
	"Open.testOpenReadZeroByteFile",
	"Open.testSequentialRead",
	"Rename.testRenameDirIntoExistingDir",
	"Rename.testRenameFileNonexistentDir",
	"Rename.testRenameFileOverExistingFile",
	"Rename.testRenameFileUnderFile",
	"Rename.testRenameFileUnderFileSubdir",
	"Rename.testRenameNewFileSameDir",
	"Rename.testRenameNonexistentFile",
	"Rename.testRenamePopulatesDirectoryAncestors",
	"Rename.testRenamePopulatesFileAncestors",
	"Rename.testRenameWithNonEmptySubDir",
	"RootDirectory.testCreateFileOverRoot",
	"RootDirectory.testListEmptyRootDirectory",
	"RootDirectory.testMkDirDepth1",
	"RootDirectory.testRecursiveRootListing",
	"RootDirectory.testRmEmptyRootDirNonRecursive",
	"RootDirectory.testRmEmptyRootDirRecursive",
	"RootDirectory.testRmNonEmptyRootDirNonRecursive",
	"RootDirectory.testRmRootRecursive",
	"RootDirectory.testSimpleRootListing",
	"Seek.testBlockReadZeroByteFile",
	"Seek.testNegativeSeek",
	"Seek.testPositionedBulkReadDoesntChangePosition",
	"Seek.testRandomSeeks",
	"Seek.testReadAtExactEOF",
	"Seek.testReadFullyPastEOF",
	"Seek.testReadFullyPastEOFZeroByteFile",
	"Seek.testReadFullyZeroByteFile",
	"Seek.testReadFullyZeroBytebufferPastEOF",
	"Seek.testSeekAndReadPastEndOfFile",
	"Seek.testSeekBigFile",
	"Seek.testSeekFile",
	"Seek.testSeekPastEndOfFileThenReseekAndRead",
	"Seek.testSeekReadClosedFile",
	"Seek.testSeekZeroByteFile",
}
