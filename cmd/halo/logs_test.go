package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halo-fs/halo/conf"
)

func loadWith(t *testing.T, overrides map[string]string) *conf.Config {
	t.Helper()
	cfg, err := conf.Load(conf.LoadOptions{ConfDir: t.TempDir(), Overrides: overrides})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestProcessLogGoesToTheLogsDirWhenItIsSet(t *testing.T) {
	logs := filepath.Join(t.TempDir(), "logs")
	out, closeLog, err := openProcessLog(loadWith(t, map[string]string{conf.KeyLogsDir: logs}), "master")
	if err != nil {
		t.Fatal(err)
	}
	g := &globals{logLevel: "info", logFormat: "text"}
	g.loggerTo("master", out).Info("serving", "port", 19998)
	if err := closeLog(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(logs, "master.log"))
	if err != nil {
		t.Fatalf("no master.log in alluxio.logs.dir: %v", err)
	}
	if !strings.Contains(string(data), "serving") {
		t.Errorf("master.log holds %q, want the logged line", data)
	}
}

func TestProcessLogStaysOnStderrByDefault(t *testing.T) {
	cfg := loadWith(t, nil)
	out, closeLog, err := openProcessLog(cfg, "master")
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	if out != os.Stderr {
		t.Errorf("a master run by hand logs to %v, want stderr", out)
	}
	if _, err := os.Stat(cfg.LogsDir); err == nil {
		t.Errorf("the default %s was created", cfg.LogsDir)
	}
}
