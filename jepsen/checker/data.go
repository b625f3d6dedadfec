package checker

import (
	"fmt"
	"strings"
	"time"

	"github.com/halo-fs/halo/jepsen/model"
)

// Data is the data workload's verdict: every acknowledged file present,
// complete and equal (ASYNC_THROUGH ones persisted), no file ever read
// with a wrong byte or complete at another length than written, whatever
// the write's outcome.
type Data struct {
	Files, Acknowledged, Unknown, Failed int
	// Verified counts acknowledged files read back whole and equal;
	// Absent unknown or failed writes that left no complete file;
	// LostWithWorker MUST_CACHE files lost with a killed worker (allowed).
	Verified, Absent, LostWithWorker int
	ReadsDuring                      int
	// LongestWrite is the longest call to return among the writes, how
	// long a fault held a write up.
	LongestWrite time.Duration
	Violations   []DataViolation
}

// DataViolation is one file that broke a rule.
type DataViolation struct {
	Path      string        `json:"path"`
	WriteType string        `json:"write_type"`
	Outcome   model.Outcome `json:"outcome"`
	During    bool          `json:"during,omitempty"`
	Problem   string        `json:"problem"`
}

// MustCache and AsyncThrough are the write types with rules of their own.
const (
	MustCache    = "MUST_CACHE"
	AsyncThrough = "ASYNC_THROUGH"
	persisted    = "PERSISTED"
)

// CheckData holds the reads to the writes: the read back after healing
// (one per written file) and reads made during the faults. A MUST_CACHE
// file may be unreadable, with an error saying it was only cached, only
// when workersKilled.
func CheckData(writes []model.DataWrite, reads []model.DataRead, workersKilled bool) Data {
	var d Data
	final := map[string]model.DataRead{}
	var during []model.DataRead
	for _, r := range reads {
		if r.During {
			during = append(during, r)
		} else {
			final[r.Path] = r
		}
	}
	written := map[string]model.DataWrite{}
	for _, w := range writes {
		written[w.Path] = w
		d.Files++
		d.LongestWrite = max(d.LongestWrite, time.Duration(w.Return-w.Call))
		switch w.Outcome {
		case model.OK:
			d.Acknowledged++
		case model.Failed:
			d.Failed++
		default:
			d.Unknown++
		}
		r, ok := final[w.Path]
		if !ok {
			d.violate(w, false, "never read back")
			continue
		}
		d.checkFinal(w, r, workersKilled)
	}
	for _, r := range during {
		w, ok := written[r.Path]
		if !ok {
			continue
		}
		d.ReadsDuring++
		if problem := wrongContent(w, r); problem != "" {
			d.violate(w, true, problem)
		}
	}
	return d
}

func (d *Data) violate(w model.DataWrite, during bool, problem string) {
	d.Violations = append(d.Violations, DataViolation{Path: w.Path, WriteType: w.WriteType, Outcome: w.Outcome, During: during, Problem: problem})
}

// wrongContent says what is wrong with bytes a read returned, whatever
// the write's outcome: a wrong byte, a complete file of another length,
// or a read that ended early without an error.
func wrongContent(w model.DataWrite, r model.DataRead) string {
	switch {
	case r.Mismatch >= 0:
		return fmt.Sprintf("wrong byte at offset %d (of %d written)", r.Mismatch, w.Size)
	case r.Complete && r.Length != w.Size:
		return fmt.Sprintf("complete with length %d, but %d bytes were written", r.Length, w.Size)
	case r.Complete && r.Error == "" && r.Read != w.Size:
		return fmt.Sprintf("the read ended without an error after %d of %d bytes", r.Read, w.Size)
	}
	return ""
}

func (d *Data) checkFinal(w model.DataWrite, r model.DataRead, workersKilled bool) {
	if problem := wrongContent(w, r); problem != "" {
		d.violate(w, false, problem)
		return
	}
	lostWithWorker := w.WriteType == MustCache && workersKilled && strings.Contains(r.Error, "only cached")
	switch {
	case w.Outcome == model.OK && !r.Complete:
		d.violate(w, false, fmt.Sprintf("acknowledged, but found %v, complete %v after healing", r.Found, r.Complete))
	case r.Complete && r.Error != "" && lostWithWorker:
		d.LostWithWorker++
	case r.Complete && r.Error != "":
		d.violate(w, false, fmt.Sprintf("complete but unreadable after %d of %d bytes: %s %s", r.Read, w.Size, r.Code, r.Error))
	case w.Outcome == model.Failed && r.Complete:
		d.violate(w, false, fmt.Sprintf("the write failed (%s %s), yet the file is complete", w.Code, w.Error))
	case w.Outcome == model.OK && w.WriteType == AsyncThrough && r.Persistence != persisted:
		d.violate(w, false, fmt.Sprintf("acknowledged ASYNC_THROUGH, still %s after the bound", r.Persistence))
	case w.Outcome == model.OK:
		d.Verified++
	case !r.Complete:
		d.Absent++
	}
}

// Passed is true when no rule was broken.
func (d Data) Passed() bool { return len(d.Violations) == 0 }

// String sums the verdict up for the log.
func (d Data) String() string {
	return fmt.Sprintf("%d files (%d acknowledged, %d unknown, %d failed): %d verified, %d absent or incomplete, %d lost with a killed worker; %d reads during faults; longest write %s; %d violations",
		d.Files, d.Acknowledged, d.Unknown, d.Failed, d.Verified, d.Absent, d.LostWithWorker, d.ReadsDuring, d.LongestWrite.Round(time.Millisecond), len(d.Violations))
}
