package halorpc

import (
	"testing"

	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
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
