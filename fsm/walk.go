package fsm

import (
	"math"

	"github.com/halo-fs/halo/fserr"
)

// Walks over the tree keep their own stack rather than recurse: a rename
// can hang one chain of directories under another, and a tree as deep as
// the path limit allows must never be able to exhaust a goroutine's stack
// (a checkpoint that overflows it would stop every replica, again after
// each restart).

// walkSubtree calls visit on n and every inode under it, depth first with
// children in name order, the order checkpoints and error messages rely on.
// It stops at the first error visit returns.
func walkSubtree(n *Inode, visit func(*Inode) error) error {
	pending := [][]*Inode{{n}} // per level, the siblings not yet visited
	for len(pending) > 0 {
		top := len(pending) - 1
		if len(pending[top]) == 0 {
			pending = pending[:top]
			continue
		}
		cur := pending[top][0]
		pending[top] = pending[top][1:]
		if err := visit(cur); err != nil {
			return err
		}
		if cur.children.len() > 0 {
			pending = append(pending, cur.sortedChildren())
		}
	}
	return nil
}

// subtreeDirs returns n, when it has children, and every directory under
// it that has children, each after its parent, in no particular order.
func subtreeDirs(n *Inode) []*Inode {
	if n.children.len() == 0 {
		return nil
	}
	var dirs []*Inode
	pending := []*Inode{n}
	for len(pending) > 0 {
		cur := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		dirs = append(dirs, cur)
		for c := range cur.children.all() {
			if c.children.len() > 0 {
				pending = append(pending, c)
			}
		}
	}
	return dirs
}

// eachInSubtree calls visit on n and every inode under it, in no
// particular order.
func eachInSubtree(n *Inode, visit func(*Inode)) {
	visit(n)
	for _, d := range subtreeDirs(n) {
		for c := range d.children.all() {
			visit(c)
		}
	}
}

// The longest path under an inode is kept as a cheap upper bound, the
// below field: linking an inode raises its ancestors' bounds, unlinking
// lowers nothing (finding the next longest path could mean reading every
// sibling). A rename consults the bound and, only when it is too high,
// measures the subtree exactly; the answer therefore depends on the tree
// alone, not on the history of the bound, and replicas that restored a
// checkpoint agree with replicas that replayed the journal.

// belowLimit caps the bound; any capped value is far beyond MaxPathBytes.
const belowLimit = math.MaxUint16

func capBelow(v int) uint16 {
	return uint16(min(v, belowLimit))
}

// raiseBelow makes every ancestor's bound cover the paths under n, which
// was just linked where it is.
func raiseBelow(n *Inode) {
	reach := int(n.below)
	for cur := n; cur.parent != nil; cur = cur.parent {
		reach += len(cur.name) + 1
		if int(cur.parent.below) >= reach {
			return
		}
		cur.parent.below = capBelow(reach)
	}
}

// foldBelow makes the bound of n's parent cover n's, which is final: a
// restore measures every path as the checkpoint hands out the tree.
func foldBelow(n *Inode) {
	if n.parent != nil {
		n.parent.below = max(n.parent.below, capBelow(len(n.name)+1+int(n.below)))
	}
}

// measureBelow sets the bound of n and of every directory under it to the
// exact length its longest path adds to its own, and returns n's.
func measureBelow(n *Inode) int {
	dirs := subtreeDirs(n)
	if len(dirs) == 0 {
		n.below = 0
		return 0
	}
	// Children come after their parents in dirs: measure from the end.
	for i := len(dirs) - 1; i >= 0; i-- {
		longest := 0
		for c := range dirs[i].children.all() {
			if c.children.len() == 0 {
				c.below = 0
			}
			longest = max(longest, len(c.name)+1+int(c.below))
		}
		dirs[i].below = capBelow(longest)
	}
	return int(n.below)
}

// checkMoveLength refuses to move n from src to dst when a path under it
// would become longer than MaxPathBytes: every inode must keep a path a
// request can name, and walks over the tree rely on its depth being bound.
func checkMoveLength(n *Inode, src, dst []string) error {
	target := len(JoinPath(dst))
	if target <= len(JoinPath(src)) || target+int(n.below) <= MaxPathBytes {
		return nil
	}
	longest := target + measureBelow(n)
	if longest <= MaxPathBytes {
		return nil
	}
	return fserr.New(fserr.InvalidPath, "cannot rename %s to %s: its longest path would be %d bytes, beyond the limit of %d",
		JoinPath(src), JoinPath(dst), longest, MaxPathBytes)
}
