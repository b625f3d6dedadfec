package fsm

import (
	gobuild "go/build"
	"strings"
	"testing"
)

// TestNamespaceDoesNotDependOnAPI: the namespace speaks the journal schema
// only; every external API (Halo's, Alluxio's) is translated into it in
// package master, so no API's messages may reach fsm, even indirectly.
func TestNamespaceDoesNotDependOnAPI(t *testing.T) {
	const module = "github.com/halo-fs/halo/"
	forbidden := []string{module + "proto/halopb", module + "proto/alluxiopb"}
	seen := map[string]string{} // package -> the package that imports it
	queue := []string{module + "fsm"}
	for len(queue) > 0 && len(seen) < 1000 {
		path := queue[0]
		queue = queue[1:]
		pkg, err := gobuild.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			if _, done := seen[imp]; done || !strings.HasPrefix(imp, module) {
				continue
			}
			seen[imp] = path
			queue = append(queue, imp)
		}
	}
	for _, api := range forbidden {
		if by, ok := seen[api]; ok {
			t.Errorf("fsm depends on the API package %s (imported by %s)", api, by)
		}
	}
}
