package alluxio

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// contractRunner runs Hadoop's FileSystem contract suites (contract/
// Runner.java) through alluxio.hadoop.FileSystem.
const contractRunner MainClass = "io.halo.contract.Runner"

// ContractSuites are the suites of Hadoop's contract tests the harness
// binds to Halo: create, open, seek, rename, delete, mkdir,
// getFileStatus (with listStatus) and the root directory.
var ContractSuites = []string{"Create", "Open", "Seek", "Rename", "Delete", "Mkdir", "GetFileStatus", "RootDirectory"}

//go:embed contract-pom.xml contract
var contractSources embed.FS

// ContractCase is the outcome of one contract test: PASS, FAIL or SKIP,
// and for the last two why.
type ContractCase struct {
	Name    string // Suite.method
	Outcome string
	Detail  string
}

var (
	contractClassPath string
	contractErr       error
	contractOnce      sync.Once
)

// RunContractTests runs the suites through Alluxio's Hadoop client with
// conf (alluxio.* keys, as Java system properties) and returns every
// case's outcome. The class path is resolved with Maven and the harness
// compiled once per machine.
func RunContractTests(t testing.TB, conf map[string]string, suites ...string) []ContractCase {
	t.Helper()
	p := FindT(t)
	contractOnce.Do(func() { contractClassPath, contractErr = buildContractHarness() })
	if contractErr != nil {
		t.Fatalf("Hadoop's contract tests cannot be had: %v", contractErr)
	}
	withContract := *p
	withContract.contract = contractClassPath
	dir, err := os.MkdirTemp(testDir(t), "contract-")
	if err != nil {
		t.Fatal(err)
	}
	r, err := withContract.Run(Command{Main: contractRunner, Conf: conf, Args: suites, Dir: dir, Timeout: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("contract suites %v: exit %d in %v", suites, r.ExitCode, r.Elapsed.Round(time.Millisecond))
	if r.ExitCode != 0 {
		t.Fatalf("the contract runner failed: %v", r)
	}
	return parseContractReport(r.Stdout)
}

func parseContractReport(out string) []ContractCase {
	var cases []ContractCase
	lines := bufio.NewScanner(strings.NewReader(out))
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		outcome, rest, _ := strings.Cut(lines.Text(), " ")
		if outcome != "PASS" && outcome != "FAIL" && outcome != "SKIP" {
			continue
		}
		name, detail, _ := strings.Cut(rest, ": ")
		cases = append(cases, ContractCase{Name: name, Outcome: outcome, Detail: detail})
	}
	return cases
}

// buildContractHarness resolves contract-pom.xml and compiles contract/
// into $HALO_CACHE/hadoop-contract-<hash of the sources>, once per
// machine, and returns the class path of the compiled runner.
func buildContractHarness() (string, error) {
	hash, err := hashSources()
	if err != nil {
		return "", err
	}
	cache := os.Getenv("HALO_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(home, ".cache", "halo")
	}
	out := filepath.Join(cache, "hadoop-contract-"+hash)
	classes := filepath.Join(out, "classes")
	if cp, err := os.ReadFile(filepath.Join(out, "classpath")); err == nil {
		return classes + string(os.PathListSeparator) + strings.TrimSpace(string(cp)), nil
	}
	building := out + fmt.Sprintf(".%d.tmp", os.Getpid())
	os.RemoveAll(building)
	if err := os.CopyFS(building, contractSources); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	deps := filepath.Join(building, "classpath")
	resolve := []string{"-B", "-q", "-Dstyle.color=never", "-f", filepath.Join(building, "contract-pom.xml"), "dependency:build-classpath", "-Dmdep.outputFile=" + deps}
	// Offline first: a machine whose ~/.m2 has the jars needs no network.
	if err := runTool(ctx, "mvn", append([]string{"-o"}, resolve...)...); err != nil {
		if err := runTool(ctx, "mvn", resolve...); err != nil {
			return "", fmt.Errorf("resolving %s from Maven Central: %w", "contract-pom.xml", err)
		}
	}
	cp, err := os.ReadFile(deps)
	if err != nil {
		return "", err
	}
	sources, err := filepath.Glob(filepath.Join(building, "contract", "*.java"))
	if err != nil {
		return "", err
	}
	built := filepath.Join(building, "classes")
	javac := append([]string{"-nowarn", "-d", built, "-cp", strings.TrimSpace(string(cp))}, sources...)
	if err := runTool(ctx, "javac", javac...); err != nil {
		return "", err
	}
	xml, err := contractSources.ReadFile("contract/halo-contract.xml")
	if err == nil {
		err = os.WriteFile(filepath.Join(built, "halo-contract.xml"), xml, 0o644)
	}
	if err != nil {
		return "", err
	}
	// Another test process may have built it meanwhile; either copy does.
	if err := os.Rename(building, out); err != nil {
		os.RemoveAll(building)
		if _, statErr := os.Stat(filepath.Join(out, "classpath")); statErr != nil {
			return "", err
		}
	}
	return classes + string(os.PathListSeparator) + strings.TrimSpace(string(cp)), nil
}

func hashSources() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(contractSources, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := contractSources.ReadFile(path)
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func runTool(ctx context.Context, name string, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v\n%s", name, err, out.String())
	}
	return nil
}
