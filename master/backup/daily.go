package backup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/halo-fs/halo/ufs"
)

// Daily is alluxio.master.daily.backup.*: once a day, at a UTC time
// of day, the leader writes a backup to the backup directory and deletes
// all but the newest Retained backups there.
type Daily struct {
	Enabled  bool
	At       time.Duration // after midnight UTC
	Retained int
}

// backupFilePattern matches the names backupName gives, capturing the
// millisecond stamp that orders them.
var backupFilePattern = regexp.MustCompile(`^alluxio-backup-\d{4}-\d{2}-\d{2}-(\d+)\.gz$`)

// nextDailyRun is the first moment after now that is at after midnight UTC.
func nextDailyRun(now time.Time, at time.Duration) time.Time {
	now = now.UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	next := midnight.Add(at)
	if !next.After(now) {
		next = midnight.AddDate(0, 0, 1).Add(at)
	}
	return next
}

// RunDaily writes a backup at each daily run while this master leads,
// until ctx ends. A standby skips the run: the leader's backup is the
// cluster's.
func (b *Backups) RunDaily(ctx context.Context) {
	for {
		next := nextDailyRun(time.Now(), b.cfg.Daily.At)
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		if !b.leader.Status().Leader {
			continue
		}
		if err := b.daily(ctx); err != nil {
			b.log.Error("daily backup failed; the next is due tomorrow", "error", err)
		}
	}
}

// daily writes one backup to the configured backup directory, then
// deletes the older ones beyond the retained count.
func (b *Backups) daily(ctx context.Context) error {
	written, err := b.Write(ctx, "", false)
	if err != nil {
		return err
	}
	b.log.Info("daily backup written", "uri", written.URI)
	deleted, err := b.prune(ctx, b.cfg.Directory, b.cfg.Daily.Retained)
	for _, name := range deleted {
		b.log.Info("deleted old backup", "name", name)
	}
	return err
}

// prune deletes all but the newest keep backups in dir, by the time
// in their names; files that are not backups are left alone. It returns
// the names deleted.
func (b *Backups) prune(ctx context.Context, dir string, keep int) ([]string, error) {
	store, resolved, err := b.openDirectory(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	list, err := store.List(ctx, "/")
	if err != nil {
		return nil, fmt.Errorf("list backups in %s: %w", resolved, err)
	}
	type backup struct {
		name  string
		stamp int64
	}
	var backups []backup
	for _, st := range list {
		match := backupFilePattern.FindStringSubmatch(st.Name)
		if st.IsDir || match == nil {
			continue
		}
		stamp, err := strconv.ParseInt(match[1], 10, 64)
		if err != nil {
			continue
		}
		backups = append(backups, backup{st.Name, stamp})
	}
	slices.SortFunc(backups, func(a, b backup) int { return cmp.Compare(b.stamp, a.stamp) })
	var deleted []string
	var problems []error
	for _, old := range backups[min(keep, len(backups)):] {
		if err := store.Delete(ctx, old.name); err != nil && !errors.Is(err, ufs.ErrNotFound) {
			problems = append(problems, fmt.Errorf("delete old backup %s: %w", ufs.Join(resolved, old.name), err))
			continue
		}
		deleted = append(deleted, old.name)
	}
	return deleted, errors.Join(problems...)
}
