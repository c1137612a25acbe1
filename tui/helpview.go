package tui

import (
	"strings"
)

// helpNotes follow the key table in the help.
var helpNotes = []string{
	"Filter (/): text matches command names and lines, users, cgroup paths, container names and namespace holders; a number matches a PID (also inside containers) or a namespace ID ending in it.",
	"CPU% is per process, 100% = one core. Cgroup CPU is in cores; QUOTA is that as a share of cpu.max; THR is the share of periods throttled since the last refresh.",
	"Cgroups: one row per path, each number from the hierarchy that has it (v: one tree per hierarchy); FROZEN marks a frozen cgroup. HISTORY is the CPU per refresh on a whole-core scale, red where it ran at its quota; the details draw the quota as ┈.",
	"Usage turns yellow at 70% and red at 90% of a limit. Dim rows in a filtered tree only lead to a match.",
	"Follow links in the detail pane with enter; esc comes back.",
	"Namespaces: o switches between the ownership tree (every namespace under the user namespace that owns it) and the nesting tree (pid and user namespaces under their parents, whatever owns them). The detail pane's Holds section is read from the kernel for the selected namespace: ID maps, host name, interfaces and veth peers, mounts, IPC objects, cgroup root, clock offsets.",
	"i explains the selected namespace, process or cgroup with its own numbers. d writes the diagram of the user, pid and net namespaces as SVG and DOT, D that of the selection's neighbourhood; the status line names the files (never overwritten).",
}

// renderHelp draws the key table, generated from the KeyMap, and the
// notes, in h lines.
func (m *Model) renderHelp(h int) string {
	groups, titles := m.keys.FullHelp(), m.keys.helpTitles()
	type entry struct{ key, desc string }
	var cols [][]string
	colW := 0
	for gi, g := range groups {
		title := "Keys"
		if gi < len(titles) {
			title = titles[gi]
		}
		var es []entry
		kw := 0
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			es = append(es, entry{b.Help().Key, b.Help().Desc})
			kw = max(kw, width(b.Help().Key))
		}
		lines := []string{m.st.of(roleHeading).Render(title)}
		for _, e := range es {
			lines = append(lines, m.st.of(roleHelpKey).Render(fit(e.key, kw, false))+"  "+m.st.of(roleHelpDesc).Render(e.desc))
			colW = max(colW, kw+2+width(e.desc))
		}
		cols = append(cols, lines)
	}
	colW += 4
	perRow := max(1, (m.width-2)/colW)
	var out []string
	out = append(out, m.st.of(roleTitle).Render(" nscope keys"), "")
	for start := 0; start < len(cols); start += perRow {
		end := min(len(cols), start+perRow)
		height := 0
		for _, c := range cols[start:end] {
			height = max(height, len(c))
		}
		for i := range height {
			var line strings.Builder
			line.WriteString("  ")
			for _, c := range cols[start:end] {
				cell := ""
				if i < len(c) {
					cell = c[i]
				}
				line.WriteString(padRight(cell, colW))
			}
			out = append(out, line.String())
		}
		out = append(out, "")
	}
	notes := helpNotes
	if m.replay != nil {
		notes = append(replayHelpNotes(), notes...)
	}
	for _, n := range notes {
		for _, l := range wrapPlain(n, m.width-4) {
			out = append(out, "  "+m.st.of(roleDim).Render(l))
		}
	}
	m.helpOffset = min(m.helpOffset, max(0, len(out)-h))
	out = out[m.helpOffset:]
	var b strings.Builder
	for i := range h {
		if i > 0 {
			b.WriteByte('\n')
		}
		line := ""
		if i < len(out) {
			line = truncateStyled(out[i], m.width)
		}
		b.WriteString(padRight(line, m.width))
	}
	return b.String()
}

// wrapPlain wraps plain text at spaces to lines of at most w cells.
func wrapPlain(s string, w int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && width(line)+1+width(word) > w {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
