package procview

import (
	"sort"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// Row is one line of a flattened tree: the item, its depth and what is
// needed to draw the tree guides. Exactly one of Namespace, Process and
// Cgroup is set, matching Key.Kind (a cgroup row has Merged too).
type Row struct {
	Key   Key
	Depth int
	// HasChildren is true when the item has children in the tree (shown
	// or not); Expanded when they are shown.
	HasChildren bool
	Expanded    bool
	// Context marks a row that does not match the filter itself and is
	// shown only because something below it does.
	Context bool
	// Last is true when no later sibling follows this row.
	Last bool
	// guides has bit d set when the ancestor at depth d+1 has a later
	// sibling, so a vertical line runs through this row at that depth.
	guides uint64

	Namespace *inspect.Namespace
	Process   *inspect.Process
	Cgroup    *inspect.Cgroup
	// Merged is set on every cgroup row: the merged cgroup of a row of
	// the merged tree (Cgroup is then its Primary), or the row's cgroup
	// on its own (SingleCgroup) in the per-hierarchy tree, so that one
	// set of cells draws both.
	Merged *MergedCgroup
}

// TreePrefix returns the tree guides drawn before the row's name, two
// cells per level below the root: "│ ├─", "  └─". Roots and rows of a
// flattened list have none. Levels deeper than maxDepth are not drawn, so
// a deep process tree cannot push the names off the screen; pass 0 for no
// limit.
func (r *Row) TreePrefix(maxDepth int) string {
	if r.Depth == 0 {
		return ""
	}
	from := 1
	if maxDepth > 0 && r.Depth > maxDepth {
		from = r.Depth - maxDepth + 1
	}
	var b strings.Builder
	b.Grow((r.Depth - from + 1) * 6)
	for d := from; d < r.Depth; d++ {
		if d < 64 && r.guides&(1<<uint(d)) != 0 {
			b.WriteString("│ ")
		} else {
			b.WriteString("  ")
		}
	}
	if r.Last {
		b.WriteString("└─")
	} else {
		b.WriteString("├─")
	}
	return b.String()
}

// Expansion remembers which tree items the user expanded or collapsed,
// by Key, so the state survives refreshes. Items not in it use their
// default (expanded, except where a view says otherwise).
type Expansion map[Key]bool

// Expanded reports whether k is expanded, def when never set.
func (e Expansion) Expanded(k Key, def bool) bool {
	if v, ok := e[k]; ok {
		return v
	}
	return def
}

// TreeOptions say how to flatten a tree into rows.
type TreeOptions struct {
	// Flat lists every item without the tree, sorted as a whole.
	Flat bool
	Sort SortKey
	// Filter keeps matching rows (and, in a tree, their ancestors as
	// context rows). While a filter is set, collapsed items are opened so
	// that no match is hidden.
	Filter    Filter
	Expansion Expansion
	// Nesting draws the namespace tree by nesting instead of ownership:
	// every pid namespace under its parent pid namespace and every user
	// namespace under its parent, whatever owns them (see NestingParent).
	// Other trees ignore it.
	Nesting bool
}

// maxTreeDepth bounds recursion: /proc can show a PPID loop when PIDs are
// reused during a scan.
const maxTreeDepth = 512

// treeSpec describes one tree to flatten generically.
type treeSpec[T any] struct {
	roots    []T
	children func(T) []T
	key      func(T) Key
	match    func(T) bool
	// less orders siblings (or, flat, all rows); nil keeps tree order.
	less func(a, b T) bool
	// sortRoots says whether less also orders the roots.
	sortRoots bool
	// expandedByDefault is the state of items the user never toggled.
	expandedByDefault func(T) bool
	fill              func(*Row, T)
	// size is the number of items, the most rows there can be.
	size int
}

// flatten turns the tree into rows according to opt.
func flatten[T any](spec treeSpec[T], opt TreeOptions) []Row {
	if opt.Flat {
		return flattenFlat(spec, opt)
	}
	out := make([]Row, 0, spec.size)
	filtered := !opt.Filter.Empty()
	var walk func(n T, depth int) bool
	walk = func(n T, depth int) bool {
		at := len(out)
		k := spec.key(n)
		kids := spec.children(n)
		expanded := filtered || opt.Expansion.Expanded(k, spec.expandedByDefault(n))
		matched := spec.match(n)
		out = append(out, Row{Key: k, Depth: depth, HasChildren: len(kids) > 0, Expanded: expanded && len(kids) > 0, Context: !matched})
		spec.fill(&out[at], n)
		kept := matched
		if expanded && len(kids) > 0 && depth < maxTreeDepth {
			if spec.less != nil {
				kids = sortedCopy(kids, spec.less)
			}
			for _, c := range kids {
				if walk(c, depth+1) {
					kept = true
				}
			}
		}
		if filtered && !kept {
			out = out[:at]
			return false
		}
		return true
	}
	roots := spec.roots
	if spec.less != nil && spec.sortRoots {
		roots = sortedCopy(roots, spec.less)
	}
	for _, r := range roots {
		walk(r, 0)
	}
	setGuides(out)
	return out
}

// flattenFlat lists every matching item, sorted as a whole.
func flattenFlat[T any](spec treeSpec[T], opt TreeOptions) []Row {
	items := make([]T, 0, spec.size)
	var walk func(n T, depth int)
	walk = func(n T, depth int) {
		if spec.match(n) {
			items = append(items, n)
		}
		if depth < maxTreeDepth {
			for _, c := range spec.children(n) {
				walk(c, depth+1)
			}
		}
	}
	for _, r := range spec.roots {
		walk(r, 0)
	}
	if spec.less != nil {
		sort.SliceStable(items, func(i, j int) bool { return spec.less(items[i], items[j]) })
	}
	out := make([]Row, len(items))
	for i, n := range items {
		out[i] = Row{Key: spec.key(n), Last: i == len(items)-1}
		spec.fill(&out[i], n)
	}
	return out
}

// KeepRows returns the rows for which keep is true, with Last and the tree
// guides recomputed for what remains. keep must keep the ancestors of
// every row it keeps (as a filter with context rows does), or the tree
// loses its shape.
func KeepRows(rows []Row, keep func(*Row) bool) []Row {
	out := make([]Row, 0, len(rows))
	for i := range rows {
		if keep(&rows[i]) {
			out = append(out, rows[i])
		}
	}
	setGuides(out)
	return out
}

// setGuides computes Last and the vertical guides of every row from the
// depths alone, scanning backwards: a row is last when no row of the same
// depth follows before a shallower one.
func setGuides(rows []Row) {
	var more [64]bool
	for i := len(rows) - 1; i >= 0; i-- {
		d := rows[i].Depth
		var g uint64
		for j := 1; j < d && j < 64; j++ {
			if more[j] {
				g |= 1 << uint(j)
			}
		}
		rows[i].guides = g
		if d < 64 {
			rows[i].Last = !more[d]
			more[d] = true
			for j := d + 1; j < 64; j++ {
				more[j] = false
			}
		} else {
			rows[i].Last = true
		}
	}
}

func sortedCopy[T any](in []T, less func(a, b T) bool) []T {
	out := append([]T(nil), in...)
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}
