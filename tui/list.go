package tui

import (
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// ViewID names one of the views: the three trees and the containers.
type ViewID int

// The views, in tab order.
const (
	NamespacesView ViewID = iota
	ProcessesView
	CgroupsView
	ContainersView
	numViews
)

// String returns the view's title.
func (v ViewID) String() string {
	switch v {
	case NamespacesView:
		return "Namespaces"
	case ProcessesView:
		return "Processes"
	case CgroupsView:
		return "Cgroups"
	case ContainersView:
		return "Containers"
	}
	return "?"
}

// viewOf returns the view that shows items of kind k.
func viewOf(k procview.Kind) ViewID {
	switch k {
	case procview.KindProcess:
		return ProcessesView
	case procview.KindCgroup:
		return CgroupsView
	case procview.KindContainer:
		return ContainersView
	}
	return NamespacesView
}

// listView is one tree view: its rows (rebuilt only when the snapshot,
// sort, filter or expansion changes), the cursor and the scroll offset.
// Rendering touches only the visible rows.
type listView struct {
	id  ViewID
	opt procview.TreeOptions
	// filter is the filter text as typed.
	filter string
	rows   []procview.Row
	cursor int
	offset int
	// selKey is the selected item's key; the cursor follows it across
	// rebuilds.
	selKey procview.Key
	// height is the number of row lines; width the total width.
	height, width int
	// dirty says the rows are out of date (new snapshot, other options).
	dirty   bool
	colsFor func(total int) []column
	cols    []column
	// perHierarchy shows the Cgroups view as one tree per hierarchy
	// instead of the merged tree (one row per path; see
	// procview.MergedCgroup).
	perHierarchy bool
	// rowsBase is the full scan whose structure the rows were built
	// from; remapDue says a counter refresh of it came since (see
	// remap).
	rowsBase *inspect.Snapshot
	remapDue bool
}

// canRemap reports whether a counter refresh of base leaves the rows as
// they are but for their processes' numbers: the Processes view, built
// from base, in an order that does not depend on counters (the filter
// never does).
func (v *listView) canRemap(base *inspect.Snapshot) bool {
	return v.id == ProcessesView && base != nil && v.rowsBase == base && !v.dirty &&
		(v.opt.Sort == procview.SortPID || v.opt.Sort == procview.SortName)
}

// remap points the rows at the processes of snap, a counter refresh of
// the rows' base: the same processes, the same tree. It reports false
// (and changes nothing) when snap lacks one of them.
func (v *listView) remap(snap *inspect.Snapshot) bool {
	for i := range v.rows {
		if p := v.rows[i].Process; p != nil && snap.Process(p.PID) == nil {
			return false
		}
	}
	for i := range v.rows {
		if p := v.rows[i].Process; p != nil {
			v.rows[i].Process = snap.Process(p.PID)
		}
	}
	v.remapDue = false
	return true
}

func newListView(id ViewID, sortKey procview.SortKey, cols func(int) []column) *listView {
	return &listView{id: id, opt: procview.TreeOptions{Sort: sortKey, Expansion: procview.Expansion{}}, colsFor: cols}
}

// setSize sets the area the list draws in (rows exclude the header).
func (v *listView) setSize(width, height int) {
	v.width, v.height = width, max(1, height)
	v.cols = layoutColumns(v.colsFor(width), width)
	v.scrollToCursor()
}

// rebuild recomputes the rows from ix and puts the cursor back on the
// selected item, or as near its old position as the rows allow.
func (v *listView) rebuild(ix *procview.Index) {
	if ix == nil {
		v.rows = nil
		return
	}
	v.opt.Filter = procview.ParseFilter(v.filter)
	v.rowsBase, v.remapDue = nil, false
	switch v.id {
	case NamespacesView:
		v.rows = ix.NamespaceRows(v.opt)
	case ProcessesView:
		v.rows = ix.ProcessRows(v.opt)
	case CgroupsView:
		if v.perHierarchy {
			v.rows = ix.CgroupRows(v.opt)
		} else {
			v.rows = ix.MergedCgroupRows(v.opt)
		}
	case ContainersView:
		v.rows = ix.ContainerRows(v.opt)
	}
	v.dirty = false
	if !v.selKey.IsZero() {
		k := v.ownKey(ix, v.selKey)
		for i := range v.rows {
			if v.rows[i].Key == k {
				v.cursor = i
				v.selKey = k
				v.scrollToCursor()
				return
			}
		}
	}
	v.setCursor(v.cursor)
}

// ownKey turns a cgroup key into the kind this list shows: a cgroup of
// one hierarchy into its path's merged key in the merged tree, a merged
// key into the cgroup that stands for it (procview.MergedCgroup.Primary)
// in the per-hierarchy trees. Other keys are returned as they are.
func (v *listView) ownKey(ix *procview.Index, k procview.Key) procview.Key {
	if v.id != CgroupsView || k.Kind != procview.KindCgroup || k.IsMerged() != v.perHierarchy {
		return k
	}
	if !v.perHierarchy {
		return procview.MergedKey(k.Cgroup.Path)
	}
	if m := ix.MergedCgroup(k.Cgroup.Path); m != nil {
		if c := m.Primary(); c != nil {
			return procview.CgroupKey(c)
		}
	}
	return k
}

// position says where the cursor is among the rows: "12/340".
func (v *listView) position() string {
	if len(v.rows) == 0 {
		return "0/0"
	}
	return itoa(v.cursor+1) + "/" + itoa(len(v.rows))
}

// selected returns the row under the cursor, or nil when there are none.
func (v *listView) selected() *procview.Row {
	if v.cursor < 0 || v.cursor >= len(v.rows) {
		return nil
	}
	return &v.rows[v.cursor]
}

// setCursor moves the cursor to row i (clamped) and remembers its key.
func (v *listView) setCursor(i int) {
	v.cursor = min(max(i, 0), max(0, len(v.rows)-1))
	if r := v.selected(); r != nil {
		v.selKey = r.Key
	}
	v.scrollToCursor()
}

// move moves the cursor by delta rows.
func (v *listView) move(delta int) { v.setCursor(v.cursor + delta) }

// scroll moves the window by delta rows without moving the cursor off
// screen: the cursor is dragged along at the edges.
func (v *listView) scroll(delta int) {
	maxOff := max(0, len(v.rows)-v.height)
	v.offset = min(max(v.offset+delta, 0), maxOff)
	if v.cursor < v.offset {
		v.setCursor(v.offset)
	} else if v.cursor >= v.offset+v.height {
		v.setCursor(v.offset + v.height - 1)
	}
}

// scrollToCursor adjusts the offset so the cursor row is visible.
func (v *listView) scrollToCursor() {
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+v.height {
		v.offset = v.cursor - v.height + 1
	}
	v.offset = min(max(v.offset, 0), max(0, len(v.rows)-v.height))
}

// selectKey puts the cursor on the row with key k (a cgroup's key of
// the other kind is taken for its row of this list, see ownKey); false
// if not shown.
func (v *listView) selectKey(ix *procview.Index, k procview.Key) bool {
	if ix != nil {
		k = v.ownKey(ix, k)
	}
	for i := range v.rows {
		if v.rows[i].Key == k {
			v.setCursor(i)
			return true
		}
	}
	return false
}

// render draws the header and the visible rows, exactly v.height+1
// lines of v.width cells.
func (v *listView) render(rc *renderCtx, focused bool, empty string) string {
	var b strings.Builder
	b.WriteString(renderHeader(v.cols, rc.st, v.width))
	end := min(len(v.rows), v.offset+v.height)
	for i := v.offset; i < end; i++ {
		b.WriteByte('\n')
		sel := roleNormal
		if i == v.cursor {
			// The cursor of an unfocused list (the detail pane has the
			// keys) stays visible, in a quieter colour.
			sel = roleSelected
			if !focused {
				sel = roleSelectedBlur
			}
		}
		b.WriteString(renderRow(v.cols, rc, &v.rows[i], v.width, sel))
	}
	shown := end - v.offset
	for i := shown; i < v.height; i++ {
		b.WriteByte('\n')
		if i == 0 && len(v.rows) == 0 {
			b.WriteString(rc.st.of(roleDim).Render(fit(empty, v.width, false)))
			continue
		}
		b.WriteString(strings.Repeat(" ", v.width))
	}
	return b.String()
}

// selectFirstMatch puts the cursor on the first row that matches the
// filter itself (not a context row), or the first row.
func (v *listView) selectFirstMatch() {
	for i := range v.rows {
		if !v.rows[i].Context {
			v.setCursor(i)
			return
		}
	}
	v.setCursor(0)
}
