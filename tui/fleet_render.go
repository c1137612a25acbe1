package tui

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/internal/termtext"
	"github.com/nscope/nscope/procview"
)

// View draws the fleet, or the host view opened from it.
func (f *FleetModel) View() tea.View {
	if f.child != nil {
		return f.child.View()
	}
	v := tea.NewView(termtext.EscapeStyled(f.render()))
	v.AltScreen = true
	v.WindowTitle = "nscope — fleet of " + strconv.Itoa(len(f.hosts)) + " hosts"
	return v
}

// fleetCol is a column of one of the fleet's tables.
type fleetCol struct {
	title string
	width int
	right bool
}

// hostCols and containerCols are the tables' columns; the last of each
// takes what width is left.
var (
	hostCols = []fleetCol{
		{"HOST", 22, false}, {"STATE", 11, false}, {"CGROUPS", 13, false}, {"PROCS", 6, true}, {"CTRS", 5, true},
		{"CPU", 13, true}, {"MEMORY", 15, true}, {"MOST THROTTLED", 30, false}, {"MOST OOM-KILLED", 0, false},
	}
	containerCols = []fleetCol{
		{"HOST", 22, false}, {"NAME", 24, false}, {"RUNTIME", 10, false}, {"STATE", 8, false}, {"CPU", 6, true},
		{"QUOTA", 6, true}, {"THR", 5, true}, {"MEMORY", 17, true}, {"OOM", 4, true}, {"PIDS", 6, true},
	}
)

// cell is one styled table cell.
type cell struct {
	text string
	role role
}

// render draws the fleet: a title line, the hosts, the containers, the
// key line.
func (f *FleetModel) render() string {
	w, h := max(f.width, 40), max(f.height, 10)
	var lines []string
	reachable, ctrs := 0, 0
	for i := range f.hosts {
		if f.hosts[i].err == nil && f.hosts[i].snap != nil {
			reachable++
		}
	}
	ctrs = len(f.rows)
	title := " nscope fleet · " + strconv.Itoa(len(f.hosts)) + " hosts · " + strconv.Itoa(reachable) + " answering · " + strconv.Itoa(ctrs) + " containers"
	lines = append(lines, f.st.of(roleTitle).Render(fit(title, w, false)))

	// The hosts take what they need, up to half the screen.
	hostRows := min(len(f.hosts), max(3, (h-6)/2))
	lines = append(lines, f.header(hostCols, w, f.focus == 0))
	f.top[0] = scrollTop(f.cursor[0], f.top[0], hostRows)
	for i := f.top[0]; i < len(f.hosts) && i < f.top[0]+hostRows; i++ {
		lines = append(lines, f.line(hostCols, f.hostCells(i), w, f.focus == 0 && i == f.cursor[0]))
	}
	sortNote := " · sorted by " + f.sort.String()
	lines = append(lines, f.st.of(roleHeading).Render(fit("─ Containers of every host ("+strconv.Itoa(len(f.rows))+")"+sortNote+" ", w, false)))
	lines = append(lines, f.header(containerCols, w, f.focus == 1))
	ctrRows := max(1, h-len(lines)-2)
	f.top[1] = scrollTop(f.cursor[1], f.top[1], ctrRows)
	if len(f.rows) == 0 {
		lines = append(lines, f.st.of(roleDim).Render(fit("  no running containers on the hosts that answered", w, false)))
	}
	for i := f.top[1]; i < len(f.rows) && i < f.top[1]+ctrRows; i++ {
		lines = append(lines, f.line(containerCols, f.containerCells(&f.rows[i]), w, f.focus == 1 && i == f.cursor[1]))
	}
	for len(lines) < h-2 {
		lines = append(lines, "")
	}
	status := " " + f.flash
	if f.flash == "" {
		status = " every " + f.opts.Interval.String() + ", " + strconv.Itoa(f.opts.Parallel) + " hosts at once, " + f.opts.Timeout.String() + " per host"
	}
	lines = append(lines, f.st.of(roleStatus).Render(fit(status, w, false)))
	keys := " tab hosts/containers • ↑↓ move • s sort containers • enter open the host • r refresh • q quit"
	lines = append(lines, f.st.of(roleHelpDesc).Render(fit(keys, w, false)))
	return strings.Join(lines[:min(len(lines), h)], "\n")
}

// scrollTop keeps cursor inside a window of n rows starting at top.
func scrollTop(cursor, top, n int) int {
	switch {
	case cursor < top:
		return cursor
	case cursor >= top+n:
		return cursor - n + 1
	}
	return top
}

// widths are the columns' widths for a line of w cells: a last column
// of width 0 takes the rest.
func widths(cols []fleetCol, w int) []int {
	out := make([]int, len(cols))
	used := 0
	for i, c := range cols[:len(cols)-1] {
		out[i] = c.width
		used += c.width + 1
	}
	out[len(cols)-1] = cols[len(cols)-1].width
	if out[len(cols)-1] == 0 {
		out[len(cols)-1] = max(4, w-used-1)
	}
	return out
}

// header is a table's header line, accented when it has the focus.
func (f *FleetModel) header(cols []fleetCol, w int, focused bool) string {
	ws := widths(cols, w)
	var b strings.Builder
	b.WriteByte(' ')
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fit(c.title, ws[i], c.right))
	}
	r := roleHeader
	if !focused {
		r = roleDim
	}
	return f.st.of(r).Render(fit(b.String(), w, false))
}

// line draws one table row; the selected one is highlighted. A row of
// two cells and a message (a host that does not answer) gives the
// message the rest of the line.
func (f *FleetModel) line(cols []fleetCol, cells []cell, w int, selected bool) string {
	ws := widths(cols, w)
	if len(cells) > 3 && cells[3].text == "" && cells[2].text != "" {
		rest := w - 1 - ws[0] - ws[1] - 2
		cols = []fleetCol{cols[0], cols[1], {width: rest}}
		ws = []int{ws[0], ws[1], max(4, rest)}
		cells = cells[:3]
	}
	if selected {
		var b strings.Builder
		b.WriteByte(' ')
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(fit(cells[i].text, ws[i], c.right))
		}
		return f.st.of(roleSelected).Render(fit(b.String(), w, false))
	}
	var b strings.Builder
	b.WriteByte(' ')
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.st.of(cells[i].role).Render(fit(cells[i].text, ws[i], c.right)))
	}
	return b.String()
}

// hostCells are host i's cells.
func (f *FleetModel) hostCells(i int) []cell {
	h := &f.hosts[i]
	name := cell{f.opts.Hosts[i].Name, roleNormal}
	switch {
	case h.snap == nil && h.err == nil:
		return fill([]cell{name, {"connecting…", roleDim}}, len(hostCols))
	case h.snap == nil:
		return fill([]cell{name, {"unreachable", roleError}, {f.hostError(i), roleError}}, len(hostCols))
	}
	s := h.summary
	state := cell{"ok", roleOK}
	if h.err != nil {
		state = cell{"unreachable", roleError}
	}
	cpu := cell{"-", roleDim}
	if s.hasCPU {
		cpu = cell{procview.FormatCores(s.cpuCores) + "/" + strconv.Itoa(s.cpus) + " cores", usageRole(100 * s.cpuCores / float64(max(1, s.cpus)))}
	}
	mem := cell{procview.FormatBytesShort(s.rss) + "/" + procview.FormatBytesShort(s.memTotal), roleNormal}
	if s.memTotal > 0 {
		mem.role = usageRole(100 * float64(s.rss) / float64(s.memTotal))
	}
	thr := cell{"-", roleDim}
	if s.throttled != "" {
		thr = cell{procview.FormatPercent(s.thrPct) + " " + s.throttled, throttleRole(s.thrPct)}
	}
	oom := cell{"-", roleDim}
	if s.oom != "" {
		oom = cell{strconv.FormatInt(s.oomKills, 10) + " " + s.oom, roleWarn}
	}
	cells := []cell{name, state, {s.mode, roleNormal}, {strconv.Itoa(s.procs), roleNormal}, {strconv.Itoa(s.containers), roleNormal}, cpu, mem, thr, oom}
	if h.err != nil {
		// The last numbers stay, dimmed, beside why the host is not
		// answering now.
		for j := 2; j < len(cells); j++ {
			cells[j].role = roleDim
		}
		cells[len(cells)-1] = cell{f.hostError(i), roleError}
	}
	return cells
}

// hostError is why host i does not answer, without its name (the row
// has it).
func (f *FleetModel) hostError(i int) string {
	return strings.TrimPrefix(f.hosts[i].err.Error(), f.opts.Hosts[i].Name+": ")
}

// fill pads cells to n.
func fill(cells []cell, n int) []cell {
	for len(cells) < n {
		cells = append(cells, cell{"", roleNormal})
	}
	return cells
}

// containerCells are a container row's cells.
func (f *FleetModel) containerCells(r *fleetContainer) []cell {
	cpu := cell{"-", roleDim}
	if r.hasCPU {
		cpu = cell{procview.FormatCores(r.cpu), roleNormal}
		if r.quota > 0 {
			cpu.role = usageRole(100 * r.cpu / r.quota)
		}
	}
	quota := cell{"-", roleDim}
	if r.quota > 0 {
		quota = cell{procview.FormatCores(r.quota), roleNormal}
	}
	thr := cell{"-", roleDim}
	if r.hasThr {
		thr = cell{procview.FormatPercent(r.thrPct), throttleRole(r.thrPct)}
	}
	mem := cell{"-", roleDim}
	if r.hasMem {
		mem = cell{procview.FormatBytesShort(r.mem), roleNormal}
		if r.memLimit > 0 {
			mem.text += "/" + procview.FormatBytesShort(r.memLimit)
			mem.role = usageRole(100 * float64(r.mem) / float64(r.memLimit))
		}
	}
	oom := cell{strconv.FormatInt(r.oomKills, 10), roleDim}
	if r.oomKills > 0 {
		oom.role = roleWarn
	}
	return []cell{
		{f.opts.Hosts[r.host].Name, roleNormal}, {r.name, roleNormal}, {r.runtime, roleDim}, {r.state, roleNormal},
		cpu, quota, thr, mem, oom, {strconv.FormatInt(r.pids, 10), roleNormal},
	}
}
