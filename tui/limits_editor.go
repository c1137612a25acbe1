package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/tui/dialog"
)

// limitFiles are the files the e editor offers per controller and cgroup
// version; together they are control.V2Files and control.V1Files.
var limitFiles = []struct {
	controller string
	version    int
	files      []string
}{
	{"cpu", 2, []string{"cpu.max", "cpu.weight"}},
	{"memory", 2, []string{"memory.max", "memory.high", "memory.low"}},
	{"pids", 2, []string{"pids.max"}},
	{"io", 2, []string{"io.max"}},
	{"cpu", 1, []string{"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares"}},
	{"memory", 1, []string{"memory.limit_in_bytes"}},
	{"pids", 1, []string{"pids.max"}},
}

// fileHints say what each file takes, raw or friendly.
var fileHints = map[string]string{
	"cpu.max":               `"QUOTA PERIOD" in µs ("50000 100000"), "max", or CPUs ("0.5", "50%")`,
	"cpu.weight":            `a whole number 1–10000 (the default is 100)`,
	"memory.max":            `bytes or a size ("512M", "1.5G"; powers of 1024), or "max"`,
	"memory.high":           `bytes or a size ("512M"); above it the kernel throttles and reclaims; "max" for none`,
	"memory.low":            `bytes or a size ("256M") protected from reclaim; 0 for none`,
	"pids.max":              `processes and threads, 0–4194304, or "max"`,
	"io.max":                `"MAJ:MIN rbps=N wbps=N riops=N wiops=N" (N a number, "10M", or max); MAJ:MIN from /proc/partitions`,
	"cpu.cfs_quota_us":      `quota in µs per period ("50000"), -1 for none, or CPUs ("0.5", "50%")`,
	"cpu.cfs_period_us":     `period in µs ("100000") or a duration ("100ms"), 1ms–1s`,
	"cpu.shares":            `a whole number 2–262144 (the default is 1024)`,
	"memory.limit_in_bytes": `bytes or a size ("512M", "1.5G"; powers of 1024), or -1/"max" for none`,
}

// fileRow is one file of the editor: where it is and what it holds.
type fileRow struct {
	file  string
	t     cgTarget
	value string
	// err says why the file cannot be edited here.
	err error
}

// editorRows lists the limit files of the selected cgroup (or process),
// each in the hierarchy that carries its controller.
func editorRows(sel Selection) (rows []fileRow, notes []string) {
	snap := sel.Snapshot
	selCg := sel.Cgroup
	if sel.Merged != nil {
		selCg = nil
	}
	for _, c := range []string{"cpu", "memory", "pids", "io"} {
		h := targetHierarchy(snap, c, selCg)
		if h == nil {
			if c == "io" {
				notes = append(notes, "io.max needs the io controller on cgroup v2; this host has none (v1 blkio throttling is not supported)")
			} else {
				notes = append(notes, fmt.Sprintf("no mounted hierarchy carries the %s controller", c))
			}
			continue
		}
		t, err := resolveTarget(sel, c)
		for _, lf := range limitFiles {
			if lf.controller != c || lf.version != h.Version {
				continue
			}
			for _, f := range lf.files {
				row := fileRow{file: f, t: t, err: err}
				if err == nil {
					if v, ok := control.FileValue(t.cg, f); ok {
						row.value = v
					} else {
						row.err = fmt.Errorf("%s has no %s (the root cgroup has no limits; on v2 the parent must enable the %s controller)", t.name(), f, c)
					}
				}
				rows = append(rows, row)
			}
		}
	}
	return rows, notes
}

// fileFlow edits one file of the e editor, raw or friendly value.
func fileFlow(ed LimitEditor, row fileRow) changeFlow {
	t, file := row.t, row.file
	controller := ""
	for _, lf := range limitFiles {
		for _, f := range lf.files {
			if f == file {
				controller = lf.controller
			}
		}
	}
	about := []dline{kvLine("now", seg{control.DescribeValue(file, row.value), roleNormal})}
	if u := usageNow(t, controller); u != "" {
		about = append(about, kvLine("usage", seg{u, roleNormal}))
	}
	initial := row.value
	if file == "io.max" {
		initial = ""
	}
	return changeFlow{
		title:   file + " · " + t.name(),
		about:   about,
		prompt:  file + ":",
		hint:    fileHints[file],
		initial: initial,
		busy:    busyText(controller),
		validate: func(text string) (planFunc, error) {
			l, err := fileLimits(file, text)
			if err != nil {
				return nil, err
			}
			return setPlan(ed, t, l, controller), nil
		},
	}
}

// filesDialog is the e editor: the allowed limit files of a cgroup with
// their values; enter edits the chosen one.
type filesDialog struct {
	st     *Styles
	ed     LimitEditor
	title  string
	rows   []fileRow
	notes  []string
	cursor int
	msg    string
	scroll int
}

// newFilesDialog lists the files for sel.
func newFilesDialog(st *Styles, ed LimitEditor, sel Selection) *filesDialog {
	rows, notes := editorRows(sel)
	title := "Limit files"
	switch {
	case sel.Cgroup != nil:
		title += " · cgroup " + sel.Cgroup.Path
	case sel.Process != nil:
		title += fmt.Sprintf(" · cgroups of PID %d (%s)", sel.Process.PID, sel.Process.Comm)
	}
	return &filesDialog{st: st, ed: ed, title: title, rows: rows, notes: notes}
}

// Update moves the cursor and opens the chosen file.
func (d *filesDialog) Update(msg tea.Msg) (dialog.Dialog, tea.Cmd) {
	key, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return d, nil
	}
	switch key.String() {
	case "esc", "ctrl+c", "q", "e":
		return d, dialog.Close
	case "up", "k":
		d.cursor = max(0, d.cursor-1)
		d.msg = ""
	case "down", "j":
		d.cursor = min(len(d.rows)-1, d.cursor+1)
		d.msg = ""
	case "enter":
		if d.cursor >= len(d.rows) {
			return d, nil
		}
		row := d.rows[d.cursor]
		if row.err != nil {
			d.msg = row.err.Error()
			return d, nil
		}
		cd := newChangeDialog(d.st, fileFlow(d.ed, row), d)
		return cd, cd.Init()
	case "u":
		// The last change of this file, not of the cgroup's other files.
		if d.cursor >= len(d.rows) || d.rows[d.cursor].err != nil {
			return d, nil
		}
		row := d.rows[d.cursor]
		flow := undoFlow(d.ed, "Undo the last change · "+row.file+" of "+row.t.name(), control.UndoFilter{Cgroup: row.t.path, File: row.file})
		flow.keepBack = true
		cd := newChangeDialog(d.st, flow, d)
		return cd, cd.Init()
	}
	return d, nil
}

// View lists the files with their values and meaning.
func (d *filesDialog) View(cols, height int) string {
	w := min(cols, dialogWidth)
	r := dialogRenderer{st: d.st, w: w}
	head := r.wrap(seg{d.title, roleHeading})
	var body []string
	fileW := 0
	for _, row := range d.rows {
		fileW = max(fileW, width(row.file))
	}
	for i, row := range d.rows {
		mark, ro := "  ", roleNormal
		if i == d.cursor {
			mark = "▸ "
		}
		value := control.DescribeValue(row.file, row.value)
		if row.err != nil {
			value, ro = "not here", roleDim
		}
		line := mark + fit(row.file, fileW, false) + "  " + value
		if row.err == nil && row.t.hier.Version == 1 {
			line += "  (" + row.t.hier.Label() + ")"
		}
		if i == d.cursor {
			ro = roleSelected
		}
		body = append(body, d.st.of(ro).Render(fit(line, w, false)))
	}
	for _, n := range d.notes {
		body = append(body, r.wrap(seg{"  " + n, roleDim})...)
	}
	if d.msg != "" {
		body = append(body, "")
		body = append(body, r.wrap(seg{"✗ " + d.msg, roleError})...)
	}
	foot := r.wrap(seg{"↑/↓ choose · enter edits · u undoes its last change · esc closes", roleDim})
	// Keep the cursor's row in view (one line per row).
	if room := height - len(head) - len(foot) - 2; room > 1 {
		if d.cursor < d.scroll {
			d.scroll = d.cursor
		} else if d.cursor >= d.scroll+room-1 {
			d.scroll = d.cursor - room + 2
		}
	}
	return r.frame(head, body, foot, height, &d.scroll)
}
