package conf

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// readSources concatenates the non-test Go files under root, skipping the
// folders skip names (relative to root).
func readSources(t *testing.T, root string, skip ...string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			for _, s := range skip {
				if rel == s {
					return filepath.SkipDir
				}
			}
			if strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		b.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// fieldName finds which Config field spec's field function points at.
func fieldName(spec *keySpec) string {
	if spec.field == nil {
		return ""
	}
	var c Config
	target := reflect.ValueOf(spec.field(&c)).Pointer()
	v := reflect.ValueOf(&c).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Addr().Pointer() == target {
			return v.Type().Field(i).Name
		}
	}
	return ""
}

// keyConstNames maps each key to the name of its Key… constant, found in
// keys.go's source.
func keyConstNames(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile("keys.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(Key\w+)\s+= "([^"]+)"`).FindAllStringSubmatch(string(src), -1) {
		out[m[2]] = m[1]
	}
	return out
}

// A key is in use when code outside this package reads its Config field
// or looks it up by name, when this package derives other settings from
// it, or when another key in use refers to it in its default. Every known key must be
// in use or listed in inertKeys — not both.
func TestInertKeysAreExactlyTheUnusedOnes(t *testing.T) {
	// Test harnesses configure programs (Alluxio's among them), not Halo.
	outside := readSources(t, "..", "conf", filepath.Join("internal", "testinfra"))
	var derivations strings.Builder
	for _, name := range []string{"load.go", "resolve.go"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		derivations.Write(data)
	}
	consts := keyConstNames(t)
	referenced := map[string]bool{}
	for i := range knownKeyTable {
		if _, inert := inertKeys[knownKeyTable[i].name]; inert {
			continue
		}
		for _, m := range regexp.MustCompile(`\$\{([^}]+)\}`).FindAllStringSubmatch(knownKeyTable[i].def, -1) {
			referenced[m[1]] = true
		}
	}
	for i := range knownKeyTable {
		spec := &knownKeyTable[i]
		used := referenced[spec.name] || strings.Contains(outside, `"`+spec.name+`"`)
		if c, ok := consts[spec.name]; ok && regexp.MustCompile(`\bconf\.`+c+`\b`).MatchString(outside) {
			used = true
		}
		if f := fieldName(spec); f != "" {
			field := regexp.MustCompile(`\.` + f + `\b`)
			used = used || field.MatchString(outside) || field.MatchString(derivations.String())
		}
		_, inert := inertKeys[spec.name]
		switch {
		case used && inert:
			t.Errorf("%s is read by the code but listed in inertKeys: take it out of the list", spec.name)
		case !used && !inert:
			t.Errorf("%s is accepted but no code reads it: use it, or list it in inertKeys with the reason", spec.name)
		}
	}
	for key := range inertKeys {
		if _, known := keyIndex[key]; !known {
			t.Errorf("inertKeys lists %s, which is not a known key", key)
		}
	}
}

func TestInertKeySetByOperatorIsNamedInAWarning(t *testing.T) {
	dir := writeConfDir(t, map[string]string{
		"alluxio-site.properties": "alluxio.master.journal.gc.period=1min\n",
	})
	c, err := Load(testOptions(dir, nil))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, w := range c.Warnings {
		if strings.Contains(w, "has no effect") {
			found = append(found, w)
		}
	}
	if len(found) != 1 || !strings.Contains(found[0], "alluxio.master.journal.gc.period=1min") ||
		!strings.Contains(found[0], "alluxio-site.properties") {
		t.Fatalf("want one warning naming alluxio.master.journal.gc.period and its file, got %q", c.Warnings)
	}
}

func TestInertKeyLeftAtDefaultSaysNothing(t *testing.T) {
	c, err := Load(testOptions(writeConfDir(t, map[string]string{"alluxio-site.properties": ""}), nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, "has no effect") {
			t.Errorf("a default setting warned: %s", w)
		}
	}
}
