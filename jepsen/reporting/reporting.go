// Package reporting keeps what a failover run leaves behind: one folder
// per run with the history (re-checkable), the fault windows, the verdicts,
// Porcupine's HTML view, and every master's log and data folder; and the
// summary table of a matrix of runs.
package reporting

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/halo-fs/halo/jepsen/model"
	"github.com/halo-fs/halo/jepsen/nemesis"
)

// Summary is one run's row.
type Summary struct {
	Name         string        `json:"name"`
	Mode         string        `json:"mode"`
	Masters      int           `json:"masters"`
	Fault        string        `json:"fault"`
	Duration     time.Duration `json:"duration_ns"`
	Ops          int           `json:"ops"`
	OK           int           `json:"ok"`
	Failed       int           `json:"failed"`
	Unknown      int           `json:"unknown"`
	Injections   int           `json:"injections"`
	PreFaultQPS  float64       `json:"pre_fault_qps"`
	Linearizable string        `json:"linearizable"` // Porcupine's Ok, Illegal or Unknown
	CheckTook    time.Duration `json:"check_took_ns"`
	LostWrites   int           `json:"lost_writes"`
	Phantoms     int           `json:"phantom_writes"`
	Acknowledged int           `json:"acknowledged_creates"`
	Converged    bool          `json:"converged"`
	Recovery     time.Duration `json:"recovery_ns"` // heal -> tombstone write acknowledged
	RecoveryOK   bool          `json:"recovery_ok"`
	UnavailP50   time.Duration `json:"unavailability_p50_ns"`
	UnavailP99   time.Duration `json:"unavailability_p99_ns"`
	// MaxWriteGap is the longest stretch inside a fault window (to the
	// first acknowledgement after it) with no write acknowledged.
	MaxWriteGap time.Duration `json:"max_write_gap_ns"`
	// Data is the data workload's verdict in short, empty without one.
	Data      string   `json:"data,omitempty"`
	Failures  []string `json:"failures,omitempty"`
	ReportDir string   `json:"report_dir,omitempty"`
}

// Passed is true when no checker failed.
func (s Summary) Passed() bool { return len(s.Failures) == 0 }

// Count fills the ok/failed/unknown counts from a history.
func (s *Summary) Count(ops []model.Op) {
	s.Ops, s.OK, s.Failed, s.Unknown = len(ops), 0, 0, 0
	for _, op := range ops {
		switch op.Output.Outcome {
		case model.OK:
			s.OK++
		case model.Failed:
			s.Failed++
		default:
			s.Unknown++
		}
	}
}

// Run is everything one run wrote down.
type Run struct {
	Summary Summary
	History []model.Op
	Faults  []nemesis.Window
	Extra   map[string]any // other verdicts (lost writes, convergence)
}

// Write saves the run's history, faults and verdicts as JSON in dir.
func Write(dir string, r Run) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]any{
		"history.json": r.History,
		"faults.json":  r.Faults,
		"summary.json": r.Summary,
	}
	for k, v := range r.Extra {
		files[k+".json"] = v
	}
	for name, v := range files {
		b, err := json.MarshalIndent(v, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ReadHistory loads a history.json written by Write, to check it again.
func ReadHistory(path string) ([]model.Op, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ops []model.Op
	return ops, json.Unmarshal(b, &ops)
}

// CopyTree copies the folder src (a master's logs, configuration and
// journal) into dst.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !e.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// Table renders summaries as a Markdown table.
func Table(rows []Summary) string {
	var b strings.Builder
	b.WriteString("| mode | masters | fault | duration | ops | ok / failed / unknown | linearizable | lost writes | converged | recovery | unavailability p50 / p99 | max write gap | data files: verified / acked, violations | result |\n")
	b.WriteString("|---|---:|---|---:|---:|---|---|---:|---|---:|---|---:|---|---|\n")
	for _, s := range rows {
		result := "pass"
		if !s.Passed() {
			result = "FAIL: " + strings.Join(s.Failures, "; ")
		}
		lost := fmt.Sprint(s.LostWrites)
		if s.Phantoms > 0 {
			lost += fmt.Sprintf(" (+%d phantom)", s.Phantoms)
		}
		data := s.Data
		if data == "" {
			data = "-"
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %d | %d / %d / %d | %s | %s | %v | %s | %s / %s | %s | %s | %s |\n",
			s.Mode, s.Masters, s.Fault, s.Duration.Round(time.Second), s.Ops, s.OK, s.Failed, s.Unknown,
			s.Linearizable, lost, s.Converged, ms(s.Recovery), ms(s.UnavailP50), ms(s.UnavailP99), ms(s.MaxWriteGap), data, result)
	}
	return b.String()
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	if d < 10*time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
