package checker

import (
	"strings"
	"testing"

	"github.com/halo-fs/halo/jepsen/model"
)

func dataWrite(path, writeType string, outcome model.Outcome) model.DataWrite {
	return model.DataWrite{Path: path, WriteType: writeType, Size: 100, Outcome: outcome}
}

// equalRead is a read back that found the 100 bytes written.
func equalRead(path string) model.DataRead {
	return model.DataRead{Path: path, Found: true, Complete: true, Length: 100, Read: 100, Mismatch: -1, Persistence: persisted}
}

func problems(d Data) string {
	var out []string
	for _, v := range d.Violations {
		out = append(out, v.Path+": "+v.Problem)
	}
	return strings.Join(out, "\n")
}

func TestCheckDataPassesAGoodHistory(t *testing.T) {
	writes := []model.DataWrite{
		dataWrite("/ok", "CACHE_THROUGH", model.OK),
		dataWrite("/async", AsyncThrough, model.OK),
		dataWrite("/unknown-absent", MustCache, model.Unknown),
		dataWrite("/unknown-complete", MustCache, model.Unknown),
		dataWrite("/failed-partial", "CACHE_THROUGH", model.Failed),
	}
	reads := []model.DataRead{
		equalRead("/ok"), equalRead("/async"), equalRead("/unknown-complete"),
		{Path: "/unknown-absent", Mismatch: -1},
		{Path: "/failed-partial", Found: true, Mismatch: -1},
		{Path: "/ok", During: true, Found: true, Complete: true, Length: 100, Read: 40, Mismatch: -1, Code: "Unavailable", Error: "no worker answered"},
	}
	d := CheckData(writes, reads, false)
	if !d.Passed() || d.Verified != 2 || d.Absent != 2 || d.ReadsDuring != 1 {
		t.Fatalf("%s\n%s", d, problems(d))
	}
}

// Each case breaks one rule; the checker must name it.
func TestCheckDataCatchesEachViolation(t *testing.T) {
	cases := []struct {
		name          string
		write         model.DataWrite
		read          model.DataRead
		workersKilled bool
		want          string
	}{
		{"a wrong byte", dataWrite("/f", "CACHE_THROUGH", model.OK),
			model.DataRead{Path: "/f", Found: true, Complete: true, Length: 100, Read: 100, Mismatch: 37}, false, "wrong byte at offset 37"},
		{"a wrong byte of an unknown write", dataWrite("/f", MustCache, model.Unknown),
			model.DataRead{Path: "/f", Found: true, Complete: true, Length: 100, Read: 100, Mismatch: 0}, false, "wrong byte at offset 0"},
		{"a missing acknowledged file", dataWrite("/f", "CACHE_THROUGH", model.OK),
			model.DataRead{Path: "/f", Mismatch: -1}, false, "acknowledged, but found false"},
		{"an acknowledged file left incomplete", dataWrite("/f", AsyncThrough, model.OK),
			model.DataRead{Path: "/f", Found: true, Mismatch: -1}, false, "complete false"},
		{"a partial file complete", dataWrite("/f", MustCache, model.Unknown),
			model.DataRead{Path: "/f", Found: true, Complete: true, Length: 60, Read: 60, Mismatch: -1}, false, "complete with length 60"},
		{"a short read without an error", dataWrite("/f", "CACHE_THROUGH", model.OK),
			model.DataRead{Path: "/f", Found: true, Complete: true, Length: 100, Read: 99, Mismatch: -1}, false, "ended without an error after 99"},
		{"an unreadable acknowledged file", dataWrite("/f", "CACHE_THROUGH", model.OK),
			model.DataRead{Path: "/f", Found: true, Complete: true, Length: 100, Read: 10, Mismatch: -1, Code: "Unavailable", Error: "boom"}, false, "unreadable after 10"},
		{"a MUST_CACHE file lost with no worker killed", dataWrite("/f", MustCache, model.OK),
			model.DataRead{Path: "/f", Found: true, Complete: true, Length: 100, Mismatch: -1, Error: "the file was only cached"}, false, "unreadable"},
		{"a failed write complete", dataWrite("/f", "CACHE_THROUGH", model.Failed),
			equalRead("/f"), false, "the write failed"},
		{"an ASYNC_THROUGH file never persisted", dataWrite("/f", AsyncThrough, model.OK),
			model.DataRead{Path: "/f", Found: true, Complete: true, Length: 100, Read: 100, Mismatch: -1, Persistence: "TO_BE_PERSISTED"}, false, "still TO_BE_PERSISTED"},
		{"a file never read back", dataWrite("/f", MustCache, model.OK),
			model.DataRead{Path: "/other", Mismatch: -1}, false, "never read back"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := CheckData([]model.DataWrite{c.write}, []model.DataRead{c.read}, c.workersKilled)
			if d.Passed() || !strings.Contains(problems(d), c.want) {
				t.Fatalf("want a violation saying %q; got %s\n%s", c.want, d, problems(d))
			}
		})
	}
}

func TestCheckDataCatchesAWrongByteReadDuringFaults(t *testing.T) {
	w := dataWrite("/f", "CACHE_THROUGH", model.OK)
	during := model.DataRead{Path: "/f", During: true, Found: true, Complete: true, Length: 100, Read: 50, Mismatch: 12}
	d := CheckData([]model.DataWrite{w}, []model.DataRead{equalRead("/f"), during}, false)
	if d.Passed() || !d.Violations[0].During {
		t.Fatalf("want the read during the faults flagged; got %s\n%s", d, problems(d))
	}
}

// A MUST_CACHE file may be lost with a killed worker, if the read says so.
func TestCheckDataAllowsMustCacheLostWithItsWorker(t *testing.T) {
	w := dataWrite("/f", MustCache, model.OK)
	r := model.DataRead{Path: "/f", Found: true, Complete: true, Length: 100, Mismatch: -1, Code: "FailedPrecondition", Error: "block 1 of /f is held by no worker, and the file was only cached"}
	if d := CheckData([]model.DataWrite{w}, []model.DataRead{r}, true); !d.Passed() || d.LostWithWorker != 1 {
		t.Fatalf("%s\n%s", d, problems(d))
	}
}

func TestContentIsKeyedByPathAndSeed(t *testing.T) {
	a := model.Content("/a", 1, 64)
	if model.FirstMismatch(a, model.Content("/a", 1, 64)) != -1 {
		t.Fatal("the same path and seed gave other bytes")
	}
	if model.FirstMismatch(a, model.Content("/a", 2, 64)) == -1 || model.FirstMismatch(a, model.Content("/b", 1, 64)) == -1 {
		t.Fatal("another path or seed gave the same bytes")
	}
	if model.FirstMismatch(a[:10], a) != -1 || model.FirstMismatch(a, a[:10]) != 10 {
		t.Fatal("a prefix is not a mismatch; bytes past the end are")
	}
}
