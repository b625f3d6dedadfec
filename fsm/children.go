package fsm

import (
	"iter"
	"slices"
	"strings"
)

// childList holds a directory's children in name order, so that a
// listing or a checkpoint reads them without sorting and a page of a huge
// directory starts where the last one ended instead of reading it whole.
// The children are kept in consecutive sorted chunks of at most
// maxChunkChildren: finding a name is two binary searches, adding or
// removing one moves at most a chunk, and each child costs about one
// pointer, less than a map's slot.
type childList struct {
	chunks [][]*Inode // none empty; every name in chunk i sorts before chunk i+1's
	count  int
}

const maxChunkChildren = 128

func (l *childList) len() int {
	if l == nil {
		return 0
	}
	return l.count
}

func compareChildName(n *Inode, name string) int { return strings.Compare(n.name, name) }

// locate finds name: the chunk that holds it or where it belongs, and its
// place in that chunk. The list must not be empty.
func (l *childList) locate(name string) (chunk, i int, found bool) {
	chunk, _ = slices.BinarySearchFunc(l.chunks, name, func(c []*Inode, name string) int {
		return compareChildName(c[len(c)-1], name)
	})
	if chunk == len(l.chunks) {
		chunk--
		return chunk, len(l.chunks[chunk]), false
	}
	i, found = slices.BinarySearchFunc(l.chunks[chunk], name, compareChildName)
	return chunk, i, found
}

// get returns the child called name, or nil.
func (l *childList) get(name string) *Inode {
	if l.len() == 0 {
		return nil
	}
	chunk, i, found := l.locate(name)
	if !found {
		return nil
	}
	return l.chunks[chunk][i]
}

// insert adds n, whose name no child has yet.
func (l *childList) insert(n *Inode) {
	l.count++
	if len(l.chunks) == 0 {
		l.chunks = [][]*Inode{{n}}
		return
	}
	chunk, i, _ := l.locate(n.name)
	c := l.chunks[chunk]
	if len(c) < maxChunkChildren {
		l.chunks[chunk] = slices.Insert(c, i, n)
		return
	}
	if chunk == len(l.chunks)-1 && i == len(c) {
		// Children added in name order, as a restore adds them, fill
		// chunks to the brim rather than leave a trail of half-full ones.
		l.chunks = append(l.chunks, []*Inode{n})
		return
	}
	half := len(c) / 2
	right := slices.Clone(c[half:])
	clear(c[half:])
	left := c[:half]
	if i <= half {
		left = slices.Insert(left, i, n)
	} else {
		right = slices.Insert(right, i-half, n)
	}
	l.chunks[chunk] = left
	l.chunks = slices.Insert(l.chunks, chunk+1, right)
}

// remove drops the child called name, if there is one.
func (l *childList) remove(name string) {
	if l.len() == 0 {
		return
	}
	chunk, i, found := l.locate(name)
	if !found {
		return
	}
	l.count--
	c := slices.Delete(l.chunks[chunk], i, i+1)
	switch {
	case len(c) == 0:
		l.chunks = slices.Delete(l.chunks, chunk, chunk+1)
	case chunk+1 < len(l.chunks) && len(c)+len(l.chunks[chunk+1]) <= maxChunkChildren/2:
		// Merging small neighbours keeps a directory emptied at random
		// from ending up as many chunks of one child each.
		l.chunks[chunk] = append(c, l.chunks[chunk+1]...)
		l.chunks = slices.Delete(l.chunks, chunk+1, chunk+2)
	default:
		l.chunks[chunk] = c
	}
	if l.count == 0 {
		l.chunks = nil
	}
}

// all yields the children in name order.
func (l *childList) all() iter.Seq[*Inode] {
	return l.after("")
}

// after yields, in name order, the children whose names sort after name
// ("" for all of them). The list must not change during the iteration.
func (l *childList) after(name string) iter.Seq[*Inode] {
	return func(yield func(*Inode) bool) {
		if l.len() == 0 {
			return
		}
		chunk, i := 0, 0
		if name != "" {
			var found bool
			if chunk, i, found = l.locate(name); found {
				i++
			}
		}
		for ; chunk < len(l.chunks); chunk, i = chunk+1, 0 {
			for _, c := range l.chunks[chunk][i:] {
				if !yield(c) {
					return
				}
			}
		}
	}
}

// sorted returns the children in name order.
func (l *childList) sorted() []*Inode {
	out := make([]*Inode, 0, l.len())
	for c := range l.all() {
		out = append(out, c)
	}
	return out
}
