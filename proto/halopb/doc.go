// Package halopb is Halo's own gRPC service (HaloService, what Alluxio's
// protocol cannot carry) and the values package client hands its callers,
// generated from proto/master.proto by scripts/proto.sh. It shares no
// message with the journal schema (package journalpb); package master
// translates between the two.
package halopb
