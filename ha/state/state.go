// Package state owns the names of the states masters report on the wire
// (MasterInfo.State, QuorumMember.State, the web port's "role"): one typed
// definition that the master, its replicators, the client, the CLI and the
// test harness compare against. The wire fields stay strings, as in
// Alluxio; convert at the edge with Of, MemberOf and String. It imports
// nothing of the project but the wire types, so any package may use it.
package state

import "github.com/halo-fs/halo/proto/halopb"

// Master is what a master says of itself in MasterInfo.State.
type Master string

const (
	// Primary is the leading master, the one that serves requests.
	Primary Master = "PRIMARY"
	// Standby follows the leader and refuses requests with a hint.
	Standby Master = "STANDBY"
	// Unavailable is what a report shows for a master that did not
	// answer; no master says it of itself.
	Unavailable Master = "UNAVAILABLE"
)

// Of is the state info reports; "" when it reports none.
func Of(info *halopb.MasterInfo) Master { return Master(info.GetState()) }

func (s Master) String() string { return string(s) }

// Member is a Raft quorum member's state in QuorumMember.State, as
// Alluxio's quorum info shows it.
type Member string

const (
	// MemberAvailable answered the leader recently.
	MemberAvailable Member = "AVAILABLE"
	// MemberUnavailable is failing its heartbeats or did not answer.
	MemberUnavailable Member = "UNAVAILABLE"
)

// MemberOf is the state m reports.
func MemberOf(m *halopb.QuorumMember) Member { return Member(m.GetState()) }

func (s Member) String() string { return string(s) }
