// Package halopb is Halo's own gRPC API (MasterService), generated from
// proto/master.proto by scripts/proto.sh. It shares no message with the
// journal schema (package journalpb); package master translates between
// the two.
package halopb
