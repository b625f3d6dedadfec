package master

import (
	"context"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
)

// QuorumAdmin is implemented by replicators with a membership to manage
// (the embedded journal).
type QuorumAdmin interface {
	QuorumInfo(ctx context.Context) (*halopb.QuorumInfo, error)
	TransferLeadership(ctx context.Context, address string) error
	AddMember(ctx context.Context, address string) error
	RemoveMember(ctx context.Context, address string) error
}

// Quorum is the replicator's membership administration, or an error
// saying that the HA mode has none.
func (m *Master) Quorum() (QuorumAdmin, error) {
	if q, ok := m.replicator.(QuorumAdmin); ok {
		return q, nil
	}
	return nil, fserr.New(fserr.FailedPrecondition, "quorum commands need the embedded journal (--ha=raft); this master runs --ha=%s", m.cfg.HAMode)
}

// ChangeQuorum makes a membership change as an administrator's command:
// the caller must be one, the mode must have a quorum, and address names
// the member by its embedded journal address (host:port).
func (m *Master) ChangeQuorum(ctx context.Context, what, address string, change func(QuorumAdmin, context.Context, string) error) error {
	if err := m.ids.Admin(ctx, what); err != nil {
		return err
	}
	q, err := m.Quorum()
	if err != nil {
		return err
	}
	if address == "" {
		return fserr.New(fserr.InvalidArgument, "%s: no member address given (its embedded journal address, host:port)", what)
	}
	if err := ValidateQuorumAddress(address); err != nil {
		return err
	}
	return change(q, ctx, address)
}

// LeadershipHandover is implemented by replicators whose leader can make
// another member leader before it stops (the embedded journal). The other
// modes need none: a ZooKeeper leader's session ends with its process.
type LeadershipHandover interface {
	HandOverLeadership() error
}

// HandOverLeadership makes another master leader if this one leads and
// its HA mode can hand leadership over, before a clean stop.
func (m *Master) HandOverLeadership() error {
	if h, ok := m.replicator.(LeadershipHandover); ok {
		return h.HandOverLeadership()
	}
	return nil
}
