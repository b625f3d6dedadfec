package halorpc

import (
	"context"
	"testing"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestAPIDoesNotImportJournalSchema: the API and the journal change for
// different reasons, so master.proto may not borrow journal messages.
func TestAPIDoesNotImportJournalSchema(t *testing.T) {
	imports := halopb.File_master_proto.Imports()
	for i := 0; i < imports.Len(); i++ {
		t.Errorf("master.proto imports %s", imports.Get(i).Path())
	}
}

// TestAPICopiesAreWireCompatible: the API's own copies of what it once
// borrowed from the journal schema keep every field's number, name, kind
// and cardinality, so an existing client's bytes mean the same.
func TestAPICopiesAreWireCompatible(t *testing.T) {
	pairs := []struct{ api, journal proto.Message }{
		{&halopb.OperationID{}, &journalpb.OperationID{}},
		{&halopb.SetAttributeOptions{}, &journalpb.SetAttributeEntry{}},
		{&halopb.MountPointInfo{}, &journalpb.MountRecord{}},
		{&halopb.FileInfo{}, &journalpb.FileStatus{}},
	}
	for _, p := range pairs {
		api, journal := p.api.ProtoReflect().Descriptor(), p.journal.ProtoReflect().Descriptor()
		if api.Fields().Len() != journal.Fields().Len() {
			t.Errorf("%s has %d fields, %s %d", api.FullName(), api.Fields().Len(), journal.FullName(), journal.Fields().Len())
		}
		for i := 0; i < journal.Fields().Len(); i++ {
			jf := journal.Fields().Get(i)
			af := api.Fields().ByNumber(jf.Number())
			if af == nil || af.Name() != jf.Name() || af.Kind() != jf.Kind() || af.Cardinality() != jf.Cardinality() || af.IsMap() != jf.IsMap() {
				t.Errorf("%s field %d (%s) differs from %s's", api.FullName(), jf.Number(), jf.Name(), journal.FullName())
			}
		}
	}
	apiState, journalState := halopb.PersistenceState(0).Descriptor().Values(), journalpb.PersistenceState(0).Descriptor().Values()
	if apiState.Len() != journalState.Len() {
		t.Fatalf("PersistenceState has %d values in the API, %d in the journal", apiState.Len(), journalState.Len())
	}
	for i := 0; i < journalState.Len(); i++ {
		if v := apiState.ByNumber(journalState.Get(i).Number()); v == nil || v.Name() != journalState.Get(i).Name() {
			t.Errorf("PersistenceState %s differs in the API", journalState.Get(i).Name())
		}
	}
}

// fillEveryField sets every singular field of m to a non-zero value and
// every repeated or map field to one element, so a translation that drops
// a field shows.
func fillEveryField(m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		switch {
		case f.IsMap():
			m.Mutable(f).Map().Set(protoreflect.ValueOfString("k").MapKey(), protoreflect.ValueOfString("v"))
		case f.IsList():
			m.Mutable(f).List().Append(nonZero(f, i))
		default:
			m.Set(f, nonZero(f, i))
		}
	}
}

func nonZero(f protoreflect.FieldDescriptor, i int) protoreflect.Value {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(string(f.Name()))
	case protoreflect.Uint32Kind:
		return protoreflect.ValueOfUint32(uint32(i + 1))
	case protoreflect.Uint64Kind:
		return protoreflect.ValueOfUint64(uint64(i + 1))
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(int64(i + 1))
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(f.Enum().Values().Get(f.Enum().Values().Len() - 1).Number())
	}
	panic("fillEveryField: no value for kind " + f.Kind().String())
}

// sameOnTheWire checks that translated is what an API client decodes from
// the bytes of from.
func sameOnTheWire(t *testing.T, from, translated, empty proto.Message) {
	t.Helper()
	b, err := proto.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(b, empty); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(empty, translated) {
		t.Errorf("translation of %s\n got %v\nwant %v", from.ProtoReflect().Descriptor().FullName(), translated, empty)
	}
}

func TestAnswersTranslateEveryField(t *testing.T) {
	fs := &journalpb.FileStatus{}
	fillEveryField(fs.ProtoReflect())
	sameOnTheWire(t, fs, fileInfo(fs), &halopb.FileInfo{})
	mt := &journalpb.MountRecord{}
	fillEveryField(mt.ProtoReflect())
	sameOnTheWire(t, mt, mountPointInfo(mt), &halopb.MountPointInfo{})
}

// TestSetAttributeRequestBecomesTheSameEntry: a request with every
// attribute set journals the entry an old master journaled, which was the
// request's attributes as they came.
func TestSetAttributeRequestBecomesTheSameEntry(t *testing.T) {
	wire := &halopb.SetAttributeOptions{}
	fillEveryField(wire.ProtoReflect())
	wire.Path = "/" + wire.Path // the master refuses a relative path
	id := &halopb.OperationID{ClientHi: 1, ClientLo: 2, Seq: 3}
	e := journaled(t, setAttributeOptionsFrom(id, wire))
	sameOnTheWire(t, e.GetSetAttribute(), wire, &halopb.SetAttributeOptions{})
	sameOnTheWire(t, e.OpId, id, &halopb.OperationID{})

	unset := setAttributeOptionsFrom(nil, &halopb.SetAttributeOptions{Path: "/a", Owner: "ignored", Mode: 0o700})
	if unset.OpID != nil || unset.Owner != nil || unset.Mode != nil {
		t.Errorf("attributes without their has_ flag were taken: %+v", unset)
	}
	if e := journaled(t, unset).GetSetAttribute(); e.HasOwner || e.HasMode || e.Path != "/a" {
		t.Errorf("entry of a request without flags: %v", e)
	}
}

// journaled is the entry a master proposes for o.
func journaled(t *testing.T, o master.SetAttributeOptions) *journalpb.Entry {
	t.Helper()
	rec := &recordingReplicator{}
	m := master.New(master.Config{}, fsm.New(fsm.DefaultConfig()), func(*web.Metrics) ha.Replicator { return rec })
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(identity.UserMetadataKey, "halo"))
	if err := m.SetAttribute(ctx, o); err != nil {
		t.Fatalf("SetAttribute: %v", err)
	}
	if rec.proposed == nil {
		t.Fatal("SetAttribute proposed no entry")
	}
	return rec.proposed
}

// recordingReplicator keeps the entry proposed last and applies nothing.
type recordingReplicator struct {
	ha.Replicator
	proposed *journalpb.Entry
}

func (r *recordingReplicator) Propose(_ context.Context, e *journalpb.Entry) (fsm.Result, error) {
	r.proposed = e
	return fsm.Result{}, nil
}
