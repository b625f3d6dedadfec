// Package journalpb is Halo's journal and checkpoint schema, generated from
// proto/journal.proto by scripts/proto.sh: the entries every HA mode
// replicates and package fsm applies, and the records of a checkpoint. No
// external API embeds these messages; package master translates requests
// into them in one place (master/ops.go).
package journalpb
