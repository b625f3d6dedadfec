package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/halo-fs/halo/ufs"
)

var errNoReplaceUnsupported = errors.New("rename without replacing is not supported by this file system")

// List implements ufs.Store.
func (s *Store) List(ctx context.Context, p string) ([]ufs.Status, error) {
	clean, _, err := s.resolve(ctx, "list", p)
	if err != nil {
		return nil, err
	}
	entries, err := s.list(ctx, clean)
	if err != nil {
		return nil, s.failLookupDir("list", clean, err)
	}
	statuses := make([]ufs.Status, len(entries))
	for i, e := range entries {
		statuses[i] = e.status
	}
	return statuses, nil
}

// failLookupDir is failLookup for operations on a directory, where a file
// in place of the directory itself is ErrNotDirectory.
func (s *Store) failLookupDir(op, clean string, err error) error {
	if errors.Is(err, ufs.ErrNotDirectory) {
		return s.fail(op, clean, err)
	}
	return s.failLookup(op, clean, err)
}

type entry struct {
	status ufs.Status
	// descend is false for a symbolic link to a directory: following links
	// while walking could loop or leave the root.
	descend bool
}

// list returns the visible children of the directory clean, sorted by name.
// It returns ufs.ErrNotDirectory if clean is a file.
func (s *Store) list(ctx context.Context, clean string) ([]entry, error) {
	full := s.osPath(clean)
	info, err := os.Stat(full)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, ufs.ErrNotDirectory
	}
	dirEntries, err := os.ReadDir(full) // sorted by name, byte order
	if err != nil {
		return nil, err
	}
	entries := make([]entry, 0, len(dirEntries))
	for _, d := range dirEntries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if isTempName(d.Name()) {
			continue
		}
		child := ufs.Child(clean, d.Name())
		childFull := s.osPath(child)
		info, err := os.Stat(childFull)
		if errors.Is(err, fs.ErrNotExist) {
			// A dangling symbolic link is listed as what it is; a child
			// deleted since ReadDir is not listed at all.
			info, err = os.Lstat(childFull)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		entries = append(entries, entry{status: s.status(child, info), descend: d.IsDir()})
	}
	return entries, nil
}

// Walk implements ufs.Store.
func (s *Store) Walk(ctx context.Context, p string, fn func(ufs.Status) error) error {
	clean, _, err := s.resolve(ctx, "walk", p)
	if err != nil {
		return err
	}
	entries, err := s.list(ctx, clean)
	if err != nil {
		return s.failLookupDir("walk", clean, err)
	}
	return s.walk(ctx, entries, fn)
}

func (s *Store) walk(ctx context.Context, entries []entry, fn func(ufs.Status) error) error {
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(e.status); err != nil {
			return err
		}
		if !e.descend {
			continue
		}
		children, err := s.list(ctx, e.status.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted while we walked; a listing is not a snapshot
		}
		if err != nil {
			return s.fail("walk", e.status.Path, err)
		}
		if err := s.walk(ctx, children, fn); err != nil {
			return err
		}
	}
	return nil
}

// Mkdirs implements ufs.Store.
func (s *Store) Mkdirs(ctx context.Context, p string) error {
	clean, full, err := s.resolve(ctx, "mkdirs", p)
	if err != nil {
		return err
	}
	if info, err := os.Stat(full); err == nil && !info.IsDir() {
		return s.fail("mkdirs", clean, ufs.ErrExists)
	}
	if err := s.mkdirAll(clean); err != nil {
		return s.fail("mkdirs", clean, err)
	}
	return nil
}

// mkdirAll creates the directory clean and its missing parents. Each new
// directory's parent is fsynced, so that the directory, and any file later
// committed into it, survives a crash. A file in the way is
// ufs.ErrNotDirectory.
func (s *Store) mkdirAll(clean string) error {
	full := s.osPath(clean)
	info, err := os.Stat(full)
	switch {
	case err == nil && info.IsDir():
		return nil
	case err == nil, errors.Is(err, syscall.ENOTDIR):
		return ufs.ErrNotDirectory
	case !errors.Is(err, fs.ErrNotExist):
		return err
	case clean == "":
		return err // the root itself was removed from under the store
	}
	if err := s.mkdirAll(ufs.Parent(clean)); err != nil {
		return err
	}
	err = os.Mkdir(full, directoryMode)
	if errors.Is(err, fs.ErrExist) {
		// Lost a race with another creator; fine if it made a directory.
		if info, statErr := os.Stat(full); statErr == nil && info.IsDir() {
			return nil
		}
		return ufs.ErrNotDirectory
	}
	if err != nil {
		return err
	}
	return s.syncDir(ufs.Parent(clean))
}

// syncDir fsyncs the directory clean so that changes to its entries are
// durable.
func (s *Store) syncDir(clean string) error {
	d, err := os.Open(s.osPath(clean))
	if err != nil {
		return err
	}
	err = d.Sync()
	if closeErr := d.Close(); err == nil {
		err = closeErr
	}
	return err
}

// Delete implements ufs.Store.
func (s *Store) Delete(ctx context.Context, p string) error {
	clean, full, err := s.resolve(ctx, "delete", p)
	if err != nil {
		return err
	}
	if err := s.refuseRoot("delete", clean); err != nil {
		return err
	}
	if err := os.Remove(full); err != nil {
		return s.failLookupDir("delete", clean, err)
	}
	if err := s.syncDir(ufs.Parent(clean)); err != nil {
		return s.fail("delete", clean, err)
	}
	return nil
}

// DeleteAll implements ufs.Store.
func (s *Store) DeleteAll(ctx context.Context, p string) error {
	clean, full, err := s.resolve(ctx, "delete", p)
	if err != nil {
		return err
	}
	if err := s.refuseRoot("delete", clean); err != nil {
		return err
	}
	if err := removeTree(ctx, full); err != nil {
		if errors.Is(err, syscall.ENOTDIR) {
			return nil // a parent is a file, so there is nothing to delete
		}
		return s.fail("delete", clean, err)
	}
	if err := s.syncDir(ufs.Parent(clean)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s.fail("delete", clean, err)
	}
	return nil
}

// removeTree removes full and everything under it, checking ctx between
// entries so that deleting a large tree can be cancelled. Unlike
// os.RemoveAll it lets a cancelled delete stop part way, which is safe
// because the caller retries with DeleteAll, which tolerates what is gone.
func removeTree(ctx context.Context, full string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := os.Remove(full)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
		return err
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return err
	}
	for _, e := range entries {
		// A symbolic link is removed, never followed: e.IsDir is false for it.
		child := full + string(os.PathSeparator) + e.Name()
		if e.IsDir() {
			err = removeTree(ctx, child)
		} else if err = ctx.Err(); err == nil {
			err = os.Remove(child)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	err = os.Remove(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Rename implements ufs.Store.
func (s *Store) Rename(ctx context.Context, src, dst string) error {
	srcClean, srcFull, err := s.resolve(ctx, "rename", src)
	if err != nil {
		return err
	}
	dstClean, dstFull, err := s.resolve(ctx, "rename", dst)
	if err != nil {
		return err
	}
	if err := s.refuseRoot("rename", srcClean); err != nil {
		return err
	}
	if err := s.refuseRoot("rename", dstClean); err != nil {
		return err
	}
	if strings.HasPrefix(dstClean, srcClean+"/") {
		return s.fail("rename", srcClean,
			fmt.Errorf("%w: cannot move a directory into itself (%s)", ufs.ErrInvalidPath, s.display(dstClean)))
	}
	info, err := os.Lstat(srcFull)
	if err != nil {
		return s.failLookup("rename", srcClean, err)
	}
	if err := s.mkdirAll(ufs.Parent(dstClean)); err != nil {
		return s.fail("rename", dstClean, err)
	}
	if err := s.renameNoReplace(srcFull, dstFull); errors.Is(err, errNoReplaceUnsupported) {
		err = renameCheckingFirst(srcFull, dstFull, info.IsDir())
		if err != nil {
			return s.fail("rename", dstClean, err)
		}
	} else if err != nil {
		return s.fail("rename", dstClean, err)
	}
	for _, dir := range []string{ufs.Parent(dstClean), ufs.Parent(srcClean)} {
		if err := s.syncDir(dir); err != nil {
			return s.fail("rename", dstClean, err)
		}
		if ufs.Parent(srcClean) == ufs.Parent(dstClean) {
			break
		}
	}
	return nil
}

// renameCheckingFirst renames without replacing on a file system that
// cannot do it in one step. A file is hard-linked to its new name, which
// fails if the name exists, and then unlinked. A directory cannot be
// hard-linked, so for one the check and the rename are two steps and a
// concurrent creator of dst can slip between them.
func renameCheckingFirst(src, dst string, isDir bool) error {
	if isDir {
		if _, err := os.Lstat(dst); err == nil {
			return fs.ErrExist
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return os.Rename(src, dst)
	}
	if err := os.Link(src, dst); err != nil {
		return err
	}
	return os.Remove(src)
}
