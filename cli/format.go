package cli

import (
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/proto/halopb"
)

// formatDate renders ms in Alluxio's default alluxio.user.date.format.pattern,
// MM-dd-yyyy HH:mm:ss:SSS. Go layouts only know fractions after '.' or
// ',', so the milliseconds are added by hand.
func formatDate(ms int64, loc *time.Location) string {
	t := time.UnixMilli(ms).In(loc)
	return fmt.Sprintf("%s:%03d", t.Format("01-02-2006 15:04:05"), t.Nanosecond()/int(time.Millisecond))
}

// formatClockTime renders a duration the way Alluxio's report does.
func formatClockTime(ms int64) string {
	if ms < 0 {
		ms = 0
	}
	d := time.Duration(ms) * time.Millisecond
	days := d / (24 * time.Hour)
	hours := d % (24 * time.Hour) / time.Hour
	mins := d % time.Hour / time.Minute
	secs := d % time.Minute / time.Second
	return fmt.Sprintf("%d day(s), %d hour(s), %d minute(s), and %d second(s)", days, hours, mins, secs)
}

// formatMode renders permission bits as ls does: drwxr-xr-x.
func formatMode(mode uint32, isDir bool) string {
	var b strings.Builder
	if isDir {
		b.WriteByte('d')
	} else {
		b.WriteByte('-')
	}
	const letters = "rwx"
	for shift := 6; shift >= 0; shift -= 3 {
		bits := mode >> uint(shift) & 7
		for i := range 3 {
			if bits&(4>>uint(i)) != 0 {
				b.WriteByte(letters[i])
			} else {
				b.WriteByte('-')
			}
		}
	}
	return b.String()
}

// humanSize is Alluxio's FormatUtils.getSizeFromBytes: whole bytes up to
// 5KB, then two decimals in the largest unit that keeps the number at or
// below 5120.
func humanSize(bytes int64) string {
	if bytes <= 5*1024 {
		return fmt.Sprintf("%dB", bytes)
	}
	v := float64(bytes)
	for _, unit := range []string{"KB", "MB", "GB", "TB"} {
		v /= 1024
		if v <= 5*1024 {
			return fmt.Sprintf("%.2f%s", v, unit)
		}
	}
	return fmt.Sprintf("%.2fPB", v/1024)
}

func sizeString(bytes int64, human bool) string {
	if human {
		return humanSize(bytes)
	}
	return fmt.Sprint(bytes)
}

// inAlluxioPercentage is how much of a file the workers cache; an empty
// file is entirely "in Alluxio", as in Alluxio.
func inAlluxioPercentage(info *halopb.FileInfo) int {
	if info.GetIsDirectory() {
		return 0
	}
	if info.GetLength() == 0 {
		return 100
	}
	return int(info.GetInAlluxioPercentage())
}

// cachedBytes is how many bytes of a file the workers cache.
func cachedBytes(info *halopb.FileInfo) int64 {
	return info.GetLength() * int64(inAlluxioPercentage(info)) / 100
}

// formatLsLine is one line of `fs ls`: permission, owner, group, size
// (children for a directory), persistence state, last modification time,
// in-Alluxio percentage ("DIR" for directories) and path.
func formatLsLine(info *halopb.FileInfo, human, hidePermissions bool, loc *time.Location) string {
	size, inAlluxio := sizeString(info.GetLength(), human), fmt.Sprintf("%d%%", inAlluxioPercentage(info))
	if info.GetIsDirectory() {
		size, inAlluxio = fmt.Sprint(info.GetChildCount()), "DIR"
	}
	permissions := fmt.Sprintf("%-12s%-15s%-15s", formatMode(info.GetMode(), info.GetIsDirectory()), info.GetOwner(), info.GetGroup())
	if hidePermissions {
		permissions = ""
	}
	return fmt.Sprintf("%s%15s%16s%24s%5s %-5s\n",
		permissions,
		size, info.GetPersistenceState().String(),
		formatDate(info.GetLastModificationTimeMs(), loc), inAlluxio, info.GetPath())
}

// formatFileInfo is the body of `fs stat`, as Alluxio 2.9's shell prints
// a URIStatus: the same fields in the same order, with Alluxio's values
// for what Halo does not track (no TTL is -1; no pinned media, block
// locations, fingerprint or default ACL).
func formatFileInfo(info *halopb.FileInfo) string {
	blocks := make([]string, len(info.GetBlockIds()))
	for i, id := range info.GetBlockIds() {
		blocks[i] = fmt.Sprint(id)
	}
	ttl := info.GetTtlMs()
	if ttl <= 0 {
		ttl = -1
	}
	length := info.GetLength()
	if info.GetIsDirectory() {
		length = int64(info.GetChildCount())
	}
	cached := inAlluxioPercentage(info)
	return fmt.Sprintf("URIStatus{info=FileInfo{fileId=%d, name=%s, path=%s, ufsPath=%s, length=%d, blockSizeBytes=%d, "+
		"creationTimeMs=%d, completed=%t, folder=%t, pinned=%t, pinnedlocation=[], cacheable=%t, persisted=%t, blockIds=[%s], "+
		"inMemoryPercentage=%d, lastModificationTimesMs=%d, ttl=%d, lastAccessTimesMs=%d, ttlAction=FREE, owner=%s, group=%s, mode=%d, "+
		"persistenceState=%s, mountPoint=%t, replicationMax=-1, replicationMin=0, fileBlockInfos=[], mountId=%d, "+
		"inAlluxioPercentage=%d, ufsFingerprint=, acl=%s, defaultAcl=}, cacheContext=null}",
		info.GetId(), statName(info), info.GetPath(), info.GetUfsPath(), length, info.GetBlockSizeBytes(),
		info.GetCreationTimeMs(), info.GetCompleted(), info.GetIsDirectory(), info.GetPinned(), !info.GetIsDirectory(),
		info.GetPersistenceState() == halopb.PersistenceState_PERSISTED, strings.Join(blocks, ", "),
		cached, info.GetLastModificationTimeMs(), ttl, info.GetLastModificationTimeMs(), info.GetOwner(), info.GetGroup(),
		info.GetMode(), info.GetPersistenceState(), info.GetMountPoint(), info.GetMountId(), cached, aclString(info.GetMode()))
}

// statName: the root has no name in Alluxio.
func statName(info *halopb.FileInfo) string {
	if info.GetPath() == "/" {
		return ""
	}
	return info.GetName()
}

// aclString is a mode as Alluxio prints an access control list.
func aclString(mode uint32) string {
	rwx := formatMode(mode, false)[1:]
	return fmt.Sprintf("user::%s,group::%s,other::%s", rwx[0:3], rwx[3:6], rwx[6:9])
}

// writeStat prints `fs stat` without -f: the file's blocks with the
// workers holding them, as Alluxio prints them.
func writeStat(w io.Writer, arg string, info *halopb.FileInfo, blocks []client.FileBlock) {
	if info.GetIsDirectory() {
		fmt.Fprintf(w, "%s is a directory path.\n%s\n", arg, formatFileInfo(info))
		return
	}
	fmt.Fprintf(w, "%s is a file path.\n%s\n", arg, formatFileInfo(info))
	if len(blocks) == 0 {
		fmt.Fprintln(w, "This file does not contain any blocks.")
		return
	}
	fmt.Fprintln(w, "Containing the following blocks: ")
	for _, b := range blocks {
		locs := make([]string, len(b.Locations))
		for i, l := range b.Locations {
			locs[i] = fmt.Sprintf("BlockLocation{workerId=%d, address=WorkerNetAddress{host=%s, containerHost=, rpcPort=%d, dataPort=%d, webPort=%d, "+
				"domainSocketPath=, tieredIdentity=TieredIdentity(node=%s, rack=null)}, tierAlias=%s, mediumType=%s}",
				l.WorkerID, l.Host, l.RPCPort, l.DataPort, l.WebPort, l.Host, l.Tier, l.Tier)
		}
		fmt.Fprintf(w, "BlockInfo{id=%d, length=%d, locations=[%s]}\n", b.ID, b.Length, strings.Join(locs, ", "))
	}
}

// formatStatFormat expands `fs stat -f`: %N name, %z size, %u owner,
// %g group, %y modification date (yyyy-MM-dd HH:mm:ss), %Y modification
// time in ms, %b block count. Other text is copied.
func formatStatFormat(format string, info *halopb.FileInfo, loc *time.Location) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 'N':
			b.WriteString(info.GetName())
		case 'z':
			if info.GetIsDirectory() {
				b.WriteString("NA")
			} else {
				fmt.Fprint(&b, info.GetLength())
			}
		case 'u':
			b.WriteString(info.GetOwner())
		case 'g':
			b.WriteString(info.GetGroup())
		case 'y':
			b.WriteString(time.UnixMilli(info.GetLastModificationTimeMs()).In(loc).Format("2006-01-02 15:04:05"))
		case 'Y':
			fmt.Fprint(&b, info.GetLastModificationTimeMs())
		case 'b':
			if info.GetIsDirectory() {
				b.WriteString("NA")
			} else {
				fmt.Fprint(&b, len(info.GetBlockIds()))
			}
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// countTotals is what `fs count` adds up.
type countTotals struct {
	files, folders, bytes int64
}

// add counts a page of a listing.
func (t *countTotals) add(entries []*halopb.FileInfo) {
	for _, c := range entries {
		if c.GetIsDirectory() {
			t.folders++
		} else {
			t.files++
			t.bytes += c.GetLength()
		}
	}
}

func writeCount(w io.Writer, t countTotals, human bool) {
	const format = "%-25s%-25s%-15s\n"
	fmt.Fprintf(w, format, "File Count", "Folder Count", "Folder Size")
	fmt.Fprintf(w, format, fmt.Sprint(t.files), fmt.Sprint(t.folders), sizeString(t.bytes, human))
}

// duLine is one line of `fs du`: size, cached size with its percentage, path.
func duLine(size string, inAlluxio string, path string) string {
	return fmt.Sprintf("%-13s %-16s %s\n", size, inAlluxio, path)
}

func duValue(part, total int64, human bool) string {
	percent := int64(0)
	if total > 0 {
		percent = part * 100 / total
	}
	return fmt.Sprintf("%s (%d%%)", sizeString(part, human), percent)
}

// duTotal is what `fs du -s` adds up.
type duTotal struct {
	size, cached int64
}

// add counts the files of a page of a listing.
func (d *duTotal) add(entries []*halopb.FileInfo) {
	for _, f := range entries {
		if !f.GetIsDirectory() {
			d.size += f.GetLength()
			d.cached += cachedBytes(f)
		}
	}
}

// writeDuSummary prints `fs du -s`: one line for the whole of arg.
func writeDuSummary(w io.Writer, arg string, d duTotal, human bool) {
	io.WriteString(w, duLine("File Size", "In Alluxio", "Path"))
	io.WriteString(w, duLine(sizeString(d.size, human), duValue(d.cached, d.size, human), arg))
}

// writeDu prints `fs du`: one line per file (writeDuSummary prints
// `fs du -s`). files must be sorted by path.
func writeDu(w io.Writer, files []*halopb.FileInfo, human bool) {
	io.WriteString(w, duLine("File Size", "In Alluxio", "Path"))
	for _, f := range files {
		io.WriteString(w, duLine(sizeString(f.GetLength(), human), duValue(cachedBytes(f), f.GetLength(), human), f.GetPath()))
	}
}

// writeMountTable prints mount points as Alluxio's `fs mount` (no
// arguments) and `fsadmin report ufs` do. Halo does not ask UFSes for their
// capacity, so it is shown as unknown (-1B).
func writeMountTable(w io.Writer, mounts []*halopb.MountPointInfo) {
	mounts = slices.Clone(mounts)
	slices.SortFunc(mounts, func(a, b *halopb.MountPointInfo) int { return strings.Compare(a.GetPath(), b.GetPath()) })
	ufsWidth, pathWidth := 1, 1
	for _, m := range mounts {
		ufsWidth = max(ufsWidth, len(m.GetUfsUri()))
		pathWidth = max(pathWidth, len(m.GetPath()))
	}
	for _, m := range mounts {
		not := func(b bool) string {
			if b {
				return ""
			}
			return "not "
		}
		fmt.Fprintf(w, "%-*s  on  %-*s  (%s, capacity=-1B, used=-1B, %sread-only, %sshared, properties=%s)\n",
			ufsWidth, m.GetUfsUri(), pathWidth, m.GetPath(), ufsType(m.GetUfsUri()),
			not(m.GetReadOnly()), not(m.GetShared()), formatProperties(m.GetOptions()))
	}
}

func ufsType(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || u.Scheme == "file" {
		return "local"
	}
	if u.Scheme == "s3a" {
		return "s3"
	}
	return u.Scheme
}

// formatProperties renders mount options like a Java map, hiding values
// whose key names a secret.
func formatProperties(opts map[string]string) string {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := opts[k]
		lower := strings.ToLower(k)
		if strings.Contains(lower, "secret") || strings.Contains(lower, "password") || strings.Contains(lower, "token") {
			v = "******"
		}
		parts[i] = k + "=" + v
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// masterRow is one line of the report's masters table.
type masterRow struct {
	address, state, version string
}

// clusterSummary is everything `fsadmin report summary` prints.
type clusterSummary struct {
	leaderAddress      string
	info               *halopb.MasterInfo // from the leader
	zookeeperEnabled   bool
	zookeeperAddresses []string
	raftAddresses      []string
	masters            []masterRow
}

// writeSummary prints the report in the shape of Alluxio 2.9's
// SummaryCommand, followed by Halo's journal fields.
func writeSummary(w io.Writer, s clusterSummary, loc *time.Location) {
	line := func(indent int, format string, args ...any) {
		fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", 4*indent), fmt.Sprintf(format, args...))
	}
	info := s.info
	line(0, "Alluxio cluster summary: ")
	line(1, "Master Address: %s", s.leaderAddress)
	line(1, "Web Port: %d", info.GetWebPort())
	line(1, "Rpc Port: %d", info.GetRpcPort())
	line(1, "Started: %s", formatDate(info.GetStartTimeMs(), loc))
	line(1, "Uptime: %s", formatClockTime(info.GetUptimeMs()))
	line(1, "Version: %s", info.GetVersion())
	line(1, "Safe Mode: %t", info.GetSafeMode())
	line(1, "Zookeeper Enabled: %t", s.zookeeperEnabled)
	if s.zookeeperEnabled {
		line(1, "Zookeeper Addresses: ")
		for _, a := range s.zookeeperAddresses {
			line(2, "%s", a)
		}
	}
	line(1, "Raft-based Journal: %t", len(s.raftAddresses) > 0)
	if len(s.raftAddresses) > 0 {
		line(1, "Raft Journal Addresses: ")
		for _, a := range s.raftAddresses {
			line(2, "%s", a)
		}
	}
	line(1, "Live Workers: %d", info.GetLiveWorkers())
	line(1, "Lost Workers: %d", info.GetLostWorkers())
	line(1, "Total Capacity: %s", humanSize(info.GetCapacityBytes()))
	for _, tier := range tierOrder(info.GetCapacityBytesOnTiers()) {
		line(2, "Tier: %s  Size: %s", tier, humanSize(info.GetCapacityBytesOnTiers()[tier]))
	}
	line(1, "Used Capacity: %s", humanSize(info.GetUsedBytes()))
	for _, tier := range tierOrder(info.GetUsedBytesOnTiers()) {
		line(2, "Tier: %s  Size: %s", tier, humanSize(info.GetUsedBytesOnTiers()[tier]))
	}
	line(1, "Free Capacity: %s", humanSize(info.GetCapacityBytes()-info.GetUsedBytes()))
	line(1, "%-32s %-8s %s", "Master Address", "State", "Version")
	for _, m := range s.masters {
		line(1, "%-32s %-8s %s", m.address, m.state, m.version)
	}
	line(1, "Journal Type: %s", info.GetJournalType())
	line(1, "Journal Entries Since Checkpoint: %d", info.GetEntriesSinceCheckpoint())
	if ms := info.GetLastCheckpointTimeMs(); ms > 0 {
		line(1, "Last Checkpoint Time: %s", formatDate(ms, loc))
	} else {
		line(1, "Last Checkpoint Time: never")
	}
}

// tierOrder is the tiers of bytesOnTiers in the order Alluxio's admin
// shell prints them: MEM, SSD, HDD, then any other alias by name.
func tierOrder(bytesOnTiers map[string]int64) []string {
	rank := func(tier string) int {
		if i := slices.Index([]string{"MEM", "SSD", "HDD"}, tier); i >= 0 {
			return i
		}
		return 3
	}
	tiers := slices.Collect(maps.Keys(bytesOnTiers))
	slices.SortFunc(tiers, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return tiers
}

// writeMasterInfo prints `fs masterInfo`. leader is empty when none was
// found.
func writeMasterInfo(w io.Writer, leader string, masters []string, haMode conf.HAMode, zookeeper, raft []string) {
	if leader == "" {
		fmt.Fprintln(w, "Failed to find leader master")
	} else {
		fmt.Fprintf(w, "Current leader master: %s\n", leader)
	}
	fmt.Fprintf(w, "All masters: [%s]\n", strings.Join(masters, ", "))
	switch haMode {
	case conf.HAZooKeeper:
		fmt.Fprintf(w, "Zookeeper address: %s\n", strings.Join(zookeeper, ","))
	case conf.HARaft:
		fmt.Fprintf(w, "Raft journal addresses: [%s]\n", strings.Join(raft, ", "))
	}
}
