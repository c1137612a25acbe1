package tui

import (
	"charm.land/bubbles/v2/key"
)

// KeyMap is every key the app understands; the help overlay and the
// footer are generated from it, so a binding documents itself.
type KeyMap struct {
	NextView, PrevView           key.Binding
	Namespaces, Processes, Cgrps key.Binding
	Containers                   key.Binding

	Up, Down, PageUp, PageDown, Home, End key.Binding
	Expand, Collapse                      key.Binding
	ExpandAll, CollapseAll                key.Binding
	Flatten                               key.Binding
	// Hierarchies switches the Cgroups view between the merged tree (one
	// row per path) and one tree per hierarchy.
	Hierarchies key.Binding
	// Nesting switches the Namespaces view between ownership and nesting.
	Nesting key.Binding

	Open, Back key.Binding
	Explain    key.Binding
	// Export writes the diagram of the namespaces, ExportAround that of
	// the selection's neighbourhood, as SVG and DOT files.
	Export, ExportAround key.Binding

	Filter, Sort, Pause, Refresh key.Binding
	Help, Quit                   key.Binding

	// The replay's keys (nscope --replay DIR), enabled only there: step
	// one record, jump to the previous or next mark, to a time typed, to
	// the first or last record. In a replay Pause plays the recording
	// and Refresh re-reads it.
	StepBack, StepForward   key.Binding
	PrevMark, NextMark      key.Binding
	JumpTime                key.Binding
	FirstRecord, LastRecord key.Binding
	// stepPair and markPair name two keys at once in the footer; they
	// are never matched.
	stepPair, markPair key.Binding

	// Actions are the keys of the app's actions (see Options.Actions).
	Actions []key.Binding
}

// DefaultKeyMap returns nscope's keys, without the actions' (the app adds
// those of Options.Actions).
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	km := KeyMap{
		NextView:   b("tab", "view", "tab"),
		PrevView:   b("shift+tab", "prev view", "shift+tab"),
		Namespaces: b("1", "namespaces", "1"),
		Processes:  b("2", "processes", "2"),
		Cgrps:      b("3", "cgroups", "3"),
		Containers: b("4", "containers", "4"),

		Up:          b("↑/k", "up", "up", "k"),
		Down:        b("↓/j", "down", "down", "j"),
		PageUp:      b("pgup", "page up", "pgup", "ctrl+b"),
		PageDown:    b("pgdn", "page down", "pgdown", "ctrl+f"),
		Home:        b("home/g", "first", "home", "g"),
		End:         b("end/G", "last", "end", "G"),
		Expand:      b("→/l", "expand", "right", "l"),
		Collapse:    b("←/h", "collapse/parent", "left", "h"),
		ExpandAll:   b("+", "expand all", "+", "="),
		CollapseAll: b("-", "collapse all", "-"),
		Flatten:     b("t", "tree/flat", "t"),
		Hierarchies: b("v", "cgroups merged/per hierarchy", "v"),
		Nesting:     b("o", "ownership/nesting", "o"),

		Open:    b("enter", "follow links", "enter"),
		Back:    b("esc", "back", "esc"),
		Explain: b("i", "explain the selection", "i"),

		Export:       b("d", "diagram to SVG+DOT", "d"),
		ExportAround: b("D", "diagram around it", "D"),

		Filter:  b("/", "filter", "/"),
		Sort:    b("s", "sort", "s"),
		Pause:   b("space", "pause", "space"),
		Refresh: b("r", "full scan now", "r"),
		Help:    b("?", "help", "?"),
		Quit:    b("q", "quit", "q", "ctrl+c"),

		StepBack:    b("[", "one record back", "["),
		StepForward: b("]", "one record on", "]"),
		PrevMark:    b("{", "previous mark", "{"),
		NextMark:    b("}", "next mark", "}"),
		JumpTime:    b("T", "jump to a time", "T"),
		FirstRecord: b("<", "first record", "<"),
		LastRecord:  b(">", "last record", ">"),
		stepPair:    b("[ ]", "step", "[", "]"),
		markPair:    b("{ }", "mark", "{", "}"),
	}
	for _, r := range km.replayKeys() {
		r.SetEnabled(false)
	}
	return km
}

// replayKeys are the replay's own bindings.
func (k *KeyMap) replayKeys() []*key.Binding {
	return []*key.Binding{&k.StepBack, &k.StepForward, &k.PrevMark, &k.NextMark, &k.JumpTime, &k.FirstRecord, &k.LastRecord}
}

// enableReplay turns the replay's keys on and says what space and r do
// there.
func (k *KeyMap) enableReplay() {
	for _, r := range k.replayKeys() {
		r.SetEnabled(true)
	}
	k.Pause.SetHelp("space", "play/stop")
	k.Refresh.SetHelp("r", "re-read the recording")
}

// replaying says the replay's keys are on.
func (k KeyMap) replaying() bool { return k.StepBack.Enabled() }

// ShortHelp is the one-line footer.
func (k KeyMap) ShortHelp() []key.Binding {
	if k.replaying() {
		return []key.Binding{k.stepPair, k.markPair, k.JumpTime, k.Pause, k.NextView, k.Filter, k.Help, k.Quit}
	}
	return []key.Binding{k.NextView, k.Open, k.Back, k.Filter, k.Sort, k.Flatten, k.Pause, k.Help, k.Quit}
}

// FullHelp groups every binding for the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	groups := [][]key.Binding{
		{k.NextView, k.PrevView, k.Namespaces, k.Processes, k.Cgrps, k.Containers},
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Expand, k.Collapse, k.ExpandAll, k.CollapseAll, k.Flatten, k.Hierarchies, k.Nesting},
		{k.Open, k.Back, k.Explain, k.Export, k.ExportAround},
		{k.Filter, k.Sort, k.Pause, k.Refresh, k.Help, k.Quit},
	}
	if k.replaying() {
		groups = append(groups, []key.Binding{k.StepBack, k.StepForward, k.PrevMark, k.NextMark, k.JumpTime, k.FirstRecord, k.LastRecord})
	}
	if len(k.Actions) > 0 {
		groups = append(groups, k.Actions)
	}
	return groups
}

// helpGroupTitles name the FullHelp groups, in order; actions last.
var helpGroupTitles = []string{"Views", "Move", "Tree", "Links", "General", "Act on the selection"}

// helpTitles names the groups of FullHelp, in its order.
func (k KeyMap) helpTitles() []string {
	titles := append([]string(nil), helpGroupTitles[:len(helpGroupTitles)-1]...)
	if k.replaying() {
		titles = append(titles, "Replay (a recording)")
	}
	if len(k.Actions) > 0 {
		titles = append(titles, helpGroupTitles[len(helpGroupTitles)-1])
	}
	return titles
}
