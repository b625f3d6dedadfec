package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"time"
)

// Funcs are the formatting helpers every page template may use.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"bytes":    FormatBytes,
		"time":     FormatTimeMs,
		"duration": FormatDurationMs,
		"mode":     FormatMode,
	}
}

// FormatBytes is a size as people read it: 1536 is "1.50KB", as
// Alluxio's UI writes it.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	value, exp := float64(n)/unit, 0
	for value >= unit && exp < 5 {
		value /= unit
		exp++
	}
	return fmt.Sprintf("%.2f%cB", value, "KMGTPE"[exp])
}

// FormatTimeMs is a time in Unix milliseconds, in UTC; "" for zero.
func FormatTimeMs(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05 MST")
}

// FormatDurationMs is a duration in milliseconds, to the second once it
// is a second or more.
func FormatDurationMs(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	if d >= time.Second {
		d = d.Round(time.Second)
	}
	return d.String()
}

// FormatMode is an inode's permission bits as ls prints them.
func FormatMode(mode uint32, dir bool) string {
	m := fs.FileMode(mode & 0o777)
	if dir {
		m |= fs.ModeDir
	}
	return m.String()
}
