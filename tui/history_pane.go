package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/tui/dialog"
)

// historyKey opens the history pane.
const historyKey = "H"

// historyAction is the H key: the journal's changes, newest first — who
// made each (the user and the PID of their nscope), when, what it wrote
// and how it ended — filtered to the selected cgroup; u undoes the
// chosen change with the same preview and confirmations as the u key.
func historyAction() Action {
	return Action{
		Key: key.NewBinding(key.WithKeys(historyKey), key.WithHelp(historyKey, "history of changes (undo from it)")),
		Run: func(env ActionEnv) (dialog.Dialog, tea.Cmd) {
			d := newHistoryPane(env.Styles, actionEditor(env), env.Selection, env.readOnly)
			return d, nil
		},
	}
}

// historyLoadedMsg carries the journal read for the pane with id.
type historyLoadedMsg struct {
	id      int
	changes []control.Change
	err     error
}

// historyPane lists the journal's changes.
type historyPane struct {
	id int
	st *Styles
	ed LimitEditor
	// selPath is the selected cgroup's path ("" for none); onlySel
	// shows only its changes. filter narrows to paths containing it.
	selPath  string
	onlySel  bool
	filter   lineInput
	typing   bool
	readOnly string
	me       string

	loaded  bool
	changes []control.Change // newest first
	err     error
	cursor  int
	scroll  int
	msg     string
}

// newHistoryPane opens the pane on the selection's cgroup, if any.
func newHistoryPane(st *Styles, ed LimitEditor, sel Selection, readOnly string) *historyPane {
	flowIDs++
	d := &historyPane{id: flowIDs, st: st, ed: ed, readOnly: readOnly, me: ed.User()}
	switch {
	case sel.Cgroup != nil:
		d.selPath, d.onlySel = sel.Cgroup.Path, true
	case sel.Process != nil:
		// Changes to the process's cgroups are found with / and a path;
		// start with everything.
	}
	return d
}

// Init reads the journal in a command.
func (d *historyPane) Init() tea.Cmd { return d.load() }

func (d *historyPane) load() tea.Cmd {
	id, ed := d.id, d.ed
	return func() tea.Msg {
		cs, err := ed.Changes()
		return historyLoadedMsg{id: id, changes: cs, err: err}
	}
}

// resume reloads the journal when an undo opened from the pane returns.
func (d *historyPane) resume() tea.Cmd { return d.load() }

// shown returns the changes the filters keep, newest first.
func (d *historyPane) shown() []*control.Change {
	var out []*control.Change
	f := strings.ToLower(strings.TrimSpace(d.filter.Value()))
	for i := range d.changes {
		c := &d.changes[i]
		if d.onlySel && c.Cgroup != d.selPath {
			continue
		}
		if f != "" && !strings.Contains(strings.ToLower(c.Cgroup), f) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Update handles the journal's arrival and the keys.
func (d *historyPane) Update(msg tea.Msg) (dialog.Dialog, tea.Cmd) {
	switch msg := msg.(type) {
	case historyLoadedMsg:
		if msg.id != d.id {
			return d, nil
		}
		d.loaded, d.err = true, msg.err
		d.changes = d.changes[:0]
		for i := len(msg.changes) - 1; i >= 0; i-- {
			d.changes = append(d.changes, msg.changes[i])
		}
		d.cursor = min(d.cursor, max(0, len(d.shown())-1))
		return d, nil
	case tea.PasteMsg:
		if d.typing && d.filter.Update(msg) {
			d.cursor = 0
		}
		return d, nil
	case tea.KeyPressMsg:
		return d.onKey(msg)
	}
	return d, nil
}

func (d *historyPane) onKey(msg tea.KeyPressMsg) (dialog.Dialog, tea.Cmd) {
	k := msg.String()
	if d.typing {
		switch k {
		case "enter":
			d.typing = false
		case "esc":
			d.typing = false
			d.filter.SetValue("")
		default:
			if d.filter.Update(msg) {
				d.cursor = 0
			}
		}
		return d, nil
	}
	d.msg = ""
	shown := d.shown()
	switch k {
	case "esc", "q", "ctrl+c", historyKey:
		return d, dialog.Close
	case "up", "k":
		d.cursor = max(0, d.cursor-1)
	case "down", "j":
		d.cursor = min(max(0, len(shown)-1), d.cursor+1)
	case "home", "g":
		d.cursor = 0
	case "end", "G":
		d.cursor = max(0, len(shown)-1)
	case "a":
		if d.selPath != "" {
			d.onlySel = !d.onlySel
			d.cursor = 0
		}
	case "/":
		d.typing = true
	case "r":
		return d, d.load()
	case "u":
		if d.cursor >= len(shown) {
			return d, nil
		}
		c := shown[d.cursor]
		if why := firstNonEmpty(d.readOnly, d.ed.ReadOnlyReason()); why != "" {
			d.msg = "cannot undo: " + why
			return d, nil
		}
		if !c.Undoable() {
			d.msg = fmt.Sprintf("%s of %s cannot be undone (%s)", c.Action, c.Cgroup, c.Status())
			return d, nil
		}
		flow := undoFlow(d.ed, "Undo "+c.Action+" of cgroup "+c.Cgroup+" · "+c.Who(), control.UndoFilter{Change: c.ID})
		flow.keepBack = true
		cd := newChangeDialog(d.st, flow, d)
		return cd, cd.Init()
	}
	return d, nil
}

// firstNonEmpty returns a unless it is empty, else b.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// View lists the changes, two lines each: when, who, what and the
// result, then the writes (old → new).
func (d *historyPane) View(cols, height int) string {
	w := min(cols, dialogWidth)
	r := dialogRenderer{st: d.st, w: w}
	title := "Change history · all cgroups"
	if d.onlySel {
		title = "Change history · cgroup " + d.selPath
	}
	head := r.wrap(seg{title, roleHeading})
	var body []string
	shown := d.shown()
	switch {
	case !d.loaded:
		body = append(body, d.st.of(roleDim).Render("reading the journal…"))
	case d.err != nil:
		body = append(body, r.wrap(seg{"✗ " + d.err.Error(), roleError})...)
	case len(shown) == 0:
		what := "no changes in " + d.ed.JournalPath()
		if d.onlySel || d.filter.Value() != "" {
			what = "no changes here (a shows all cgroups)"
		}
		body = append(body, r.wrap(seg{what, roleDim})...)
	}
	// Keep the cursor's change in view: two lines a change.
	room := max(2, height-len(head)-6)
	per := room / 2
	if d.cursor < d.scroll {
		d.scroll = d.cursor
	} else if d.cursor >= d.scroll+per {
		d.scroll = d.cursor - per + 1
	}
	d.scroll = min(max(0, d.scroll), max(0, len(shown)-1))
	for i := d.scroll; i < len(shown) && i < d.scroll+per; i++ {
		body = append(body, d.changeLines(shown[i], i == d.cursor, w)...)
	}
	var foot []string
	if d.typing {
		prompt := d.st.of(roleHelpKey).Render("cgroup path contains: ")
		foot = append(foot, prompt+d.filter.render(max(8, w-24), d.st.of(roleSelected)))
	} else if f := d.filter.Value(); f != "" {
		foot = append(foot, d.st.of(roleDim).Render(fit("paths containing “"+f+"”", w, false)))
	}
	if d.msg != "" {
		foot = append(foot, r.wrap(seg{d.msg, roleError})...)
	}
	keys := fmt.Sprintf("%d of %d · u undoes it · / path · r reloads · esc closes", min(d.cursor+1, len(shown)), len(shown))
	if d.selPath != "" {
		keys = fmt.Sprintf("%d of %d · u undoes it · a all/this cgroup · / path · esc closes", min(d.cursor+1, len(shown)), len(shown))
	}
	foot = append(foot, r.wrap(seg{keys, roleDim})...)
	scroll := 0
	return r.frame(head, body, foot, height, &scroll)
}

// changeLines draws one change: "2026-03-01 12:00:05  alice (PID 4711)
// set /a  ok" and its writes.
func (d *historyPane) changeLines(c *control.Change, selected bool, w int) []string {
	who := c.Who()
	if c.User != "" && c.User == d.me {
		who += " (you)"
	}
	action := c.Action
	if c.ForKill != "" {
		action += " (kill)"
	}
	status := c.Status()
	first := fmt.Sprintf("%s  %s  %s %s", c.Time.Local().Format("2006-01-02 15:04:05"), who, action, c.Cgroup)
	what := historyWrites(c)
	mark := "  "
	if selected {
		mark = "▸ "
	}
	statusW := width(status) + 2
	line1 := mark + fit(first, max(1, w-2-statusW), false) + "  " + status
	line2 := "    " + fit(what, max(1, w-4), false)
	if selected {
		return []string{d.st.of(roleSelected).Render(fit(line1, w, false)), d.st.of(roleSelected).Render(fit(line2, w, false))}
	}
	ro := roleNormal
	switch status {
	case "failed", "partly applied", "incomplete":
		ro = roleError
	case "undone":
		ro = roleDim
	}
	return []string{d.st.of(ro).Render(line1), d.st.of(roleDim).Render(line2)}
}

// historyWrites summarises a change's writes: "cpu.max 20000 100000 →
// 50000 100000", the first two and a count of the rest.
func historyWrites(c *control.Change) string {
	if c.Action == "kill" && len(c.Writes) > 0 {
		return fmt.Sprintf("killed %d processes (%s)", len(strings.Fields(c.Writes[0].Old)), c.Writes[0].New)
	}
	if c.Action == "run" {
		return fmt.Sprintf("a launch's cgroup in %d hierarchies", len(c.Writes))
	}
	var parts []string
	for i, wr := range c.Writes {
		if i == 2 {
			parts = append(parts, fmt.Sprintf("and %d more", len(c.Writes)-2))
			break
		}
		parts = append(parts, wr.File+" "+wr.Old+" → "+control.ShownNewValue(wr))
	}
	if len(parts) == 0 {
		return "no file written"
	}
	return strings.Join(parts, "; ")
}
