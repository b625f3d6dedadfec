package checker

import (
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/halo-fs/halo/jepsen/model"
)

func mk(call, ret int64, in model.Input, out model.Output) model.Op {
	return model.Op{Input: in, Output: out, Call: call, Return: ret}
}

var (
	okOut      = model.Output{Outcome: model.OK}
	unknownOut = model.Output{Outcome: model.Unknown}
)

func fileOut(v int64) model.Output {
	return model.Output{Outcome: model.OK, Node: &model.Slot{Kind: model.File, Value: v}}
}

func TestWritesLostAndPhantom(t *testing.T) {
	ops := []model.Op{
		mk(0, 10, model.Input{Kind: model.Create, Group: 0, Name: 0, Value: 100}, fileOut(100)),
		mk(0, 10, model.Input{Kind: model.Create, Group: 1, Name: 0, Value: 101}, fileOut(101)),
		mk(20, 30, model.Input{Kind: model.Rename, Group: 1, Name: 0, Dst: 2}, okOut),
		mk(0, 10, model.Input{Kind: model.Create, Group: 2, Name: 1, Value: 102}, fileOut(102)),
		mk(20, 30, model.Input{Kind: model.Delete, Group: 2, Name: 1}, unknownOut),
		mk(0, 10, model.Input{Kind: model.Ledger, Group: -1, Value: 103, Path: "/jepsen/ledger/w0-1"}, fileOut(103)),
		mk(0, 10, model.Input{Kind: model.Ledger, Group: -1, Value: 104, Path: "/jepsen/ledger/w0-2"}, model.Output{Outcome: model.Failed, Code: "Unavailable"}),
	}
	final := map[int]model.State{
		0: {},                                       // 100 lost: nothing removed it
		1: {{}, {}, {Kind: model.File, Value: 101}}, // renamed: fine
		2: {},                                       // an unknown delete may have removed 102
	}
	ledger := map[string]int64{"/jepsen/ledger/w0-2": 104} // 103 lost; 104 a phantom
	w := CheckWrites(ops, final, ledger)
	if len(w.Lost) != 2 || w.Lost[0].Value != 100 || w.Lost[1].Value != 103 {
		t.Errorf("lost = %+v, want 100 and 103", w.Lost)
	}
	if len(w.Phantoms) != 1 || w.Phantoms[0].Value != 104 {
		t.Errorf("phantoms = %+v, want 104", w.Phantoms)
	}
	if w.Acknowledged != 4 {
		t.Errorf("acknowledged = %d, want 4", w.Acknowledged)
	}
}

func TestNarrowUnknownCreates(t *testing.T) {
	ops := []model.Op{
		mk(0, 5, model.Input{Kind: model.Create, Group: 0, Name: 0, Value: 7}, unknownOut),
		mk(10, 20, model.Input{Kind: model.Stat, Group: 0, Name: 0}, fileOut(7)),
	}
	l := CheckLinearizability(ops, time.Minute)
	if l.Result != porcupine.Ok || l.Narrowed != 1 {
		t.Fatalf("result %s, narrowed %d; want Ok, 1", l.Result, l.Narrowed)
	}
}

func TestUnavailability(t *testing.T) {
	w := func(call, ret int64) model.Op {
		return mk(call, ret, model.Input{Kind: model.Delete}, okOut)
	}
	ops := []model.Op{w(0, 10), w(95, 400), w(150, 300), w(500, 510)}
	got := Unavailability(ops, []int64{100, 450, 600}, 1000)
	want := []time.Duration{200, 60, 400}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Unavailability = %v, want %v", got, want)
		}
	}
	if p := Percentile(got, 50); p != 200 {
		t.Errorf("p50 = %v, want 200", p)
	}
	if p := Percentile(got, 99); p != 400 {
		t.Errorf("p99 = %v, want 400", p)
	}
}

func TestWriteGaps(t *testing.T) {
	create := model.Input{Kind: model.Create, Group: 0, Name: 0, Value: 1}
	stat := model.Input{Kind: model.Stat, Group: 0, Name: 0}
	ops := []model.Op{
		mk(0, 100, create, fileOut(1)),
		mk(150, 200, create, fileOut(1)),                                            // acked at 200 inside the window
		mk(210, 900, create, unknownOut),                                            // not acknowledged
		mk(300, 400, stat, fileOut(1)),                                              // a read: not a write
		mk(650, 700, create, model.Output{Outcome: model.Failed, Code: "NotFound"}), // an answer, but no write
		mk(800, 1000, create, fileOut(1)),                                           // first ack after the window
		mk(1100, 1200, create, fileOut(1)),
	}
	got := WriteGaps(ops, [][2]int64{{150, 600}, {1150, 1300}}, 2000)
	// Window 1: 150 -> 200 (50), 200 -> 1000 (800). Window 2: 1150 -> 1200
	// (50), then nothing more: 1200 -> end (800).
	if len(got) != 2 || got[0] != 800 || got[1] != 800 {
		t.Errorf("WriteGaps = %v; want [800ns 800ns]", got)
	}
	if got := WriteGaps(ops[:1], [][2]int64{{150, 600}}, 2000); len(got) != 1 || got[0] != 1850 {
		t.Errorf("WriteGaps with no ack after the fault = %v; want [1850ns]", got)
	}
}
