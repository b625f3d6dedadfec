package worker

import (
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
	"google.golang.org/protobuf/proto"
)

// usage is the store's space per tier and its lost storage, as a
// heartbeat reports them.
type usage struct {
	capacity, used map[string]int64
	lostStorage    map[string][]string
}

func usageOf(tiers []blockstore.TierReport) usage {
	u := usage{capacity: map[string]int64{}, used: map[string]int64{}}
	for _, t := range tiers {
		u.capacity[t.Alias] = t.Capacity
		u.used[t.Alias] = t.Used
	}
	return u
}

// registration is the worker's full report to a master.
type registration struct {
	tiers []string
	usage
	blocks []locatedBlocks
}

// locatedBlocks are block ids in one tier and medium.
type locatedBlocks struct {
	tier, medium string
	ids          []int64
}

func registrationOf(r blockstore.Report) registration {
	reg := registration{usage: usageOf(r.Tiers)}
	reg.lostStorage = r.LostStorage
	for _, t := range r.Tiers {
		reg.tiers = append(reg.tiers, t.Alias)
		for medium, ids := range t.Blocks {
			reg.blocks = append(reg.blocks, locatedBlocks{tier: t.Alias, medium: medium, ids: ids})
		}
	}
	return reg
}

func (r registration) blockCount() int {
	n := 0
	for _, b := range r.blocks {
		n += len(b.ids)
	}
	return n
}

// messages splits the registration into a register stream's messages:
// the first names the tiers with their space and lost storage, and each
// carries at most batch block ids.
func (r registration) messages(workerID int64, batch int) []*alluxiopb.RegisterWorkerPRequest {
	first := &alluxiopb.RegisterWorkerPRequest{
		WorkerId:          proto.Int64(workerID),
		StorageTiers:      r.tiers,
		TotalBytesOnTiers: r.capacity,
		UsedBytesOnTiers:  r.used,
		LostStorage:       storageLists(r.lostStorage),
	}
	out := []*alluxiopb.RegisterWorkerPRequest{first}
	cur, room := first, batch
	for _, b := range r.blocks {
		for ids := b.ids; len(ids) > 0; {
			if room == 0 {
				cur = &alluxiopb.RegisterWorkerPRequest{WorkerId: proto.Int64(workerID)}
				out = append(out, cur)
				room = batch
			}
			n := min(room, len(ids))
			cur.CurrentBlocks = append(cur.CurrentBlocks, locationList(b.tier, b.medium, ids[:n]))
			ids, room = ids[n:], room-n
		}
	}
	return out
}

func locationList(tier, medium string, ids []int64) *alluxiopb.LocationBlockIdListEntry {
	return &alluxiopb.LocationBlockIdListEntry{
		Key:   &alluxiopb.BlockStoreLocationProto{TierAlias: proto.String(tier), MediumType: proto.String(medium)},
		Value: &alluxiopb.BlockIdList{BlockId: ids},
	}
}

// locationLists is a heartbeat's added blocks, per tier; the tier alias
// is the medium, as in Alluxio's default tiers.
func locationLists(byTier map[string][]int64) []*alluxiopb.LocationBlockIdListEntry {
	var out []*alluxiopb.LocationBlockIdListEntry
	for tier, ids := range byTier {
		out = append(out, locationList(tier, tier, ids))
	}
	return out
}

func storageLists(lost map[string][]string) map[string]*alluxiopb.StorageList {
	if len(lost) == 0 {
		return nil
	}
	out := make(map[string]*alluxiopb.StorageList, len(lost))
	for tier, dirs := range lost {
		out[tier] = &alluxiopb.StorageList{Storage: dirs}
	}
	return out
}
