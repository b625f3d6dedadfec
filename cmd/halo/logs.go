package main

import (
	"fmt"
	"io"
	"os"

	"github.com/halo-fs/halo/conf"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Rotation as Alluxio's log4j.properties sets it for its masters and
// workers.
const (
	logFileMaxMegabytes = 10
	logFileMaxBackups   = 100
)

// openProcessLog says where a long-running process logs. A master or worker started
// by hand, by systemd or by a test logs to stderr, where its supervisor
// collects it, unless alluxio.logs.dir was set explicitly; the start
// scripts set it, so that each process writes <process>.log in that folder,
// rotated by size, as Alluxio's do. The default folder is never created
// unasked: it lies under alluxio.home, which need not be writable.
func openProcessLog(cfg *conf.Config, process string) (io.Writer, func() error, error) {
	if cfg.Source(conf.KeyLogsDir) == conf.SourceDefault {
		return os.Stderr, func() error { return nil }, nil
	}
	if err := os.MkdirAll(cfg.LogsDir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("%s=%s: %w", conf.KeyLogsDir, cfg.LogsDir, err)
	}
	file := &lumberjack.Logger{
		Filename:   cfg.LogFile(process),
		MaxSize:    logFileMaxMegabytes,
		MaxBackups: logFileMaxBackups,
	}
	return file, file.Close, nil
}
