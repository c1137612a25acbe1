package tui

import (
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// actionBar is the footer while a cgroup is selected in the Cgroups
// view: the cgroup the action keys act on, then those keys, so that what
// the next key changes is on screen (after a filter the selection moves
// to the first match). ok is false where the usual keys show.
func (m *Model) actionBar() (bar string, ok bool) {
	if m.view != CgroupsView || m.detailFocus || m.ix == nil || m.replay != nil {
		return "", false
	}
	sel, found := m.selection()
	if !found || sel.Cgroup == nil {
		return "", false
	}
	target := sel.Cgroup.Path
	if sel.Merged == nil {
		if h := sel.Snapshot.Hierarchy(sel.Cgroup.Hierarchy); h != nil && h.Version == 1 {
			target = h.Label() + " " + target
		}
	}
	var b strings.Builder
	b.WriteString(" → ")
	b.WriteString(m.st.of(roleAccent).Render(keepEnd(target, max(12, m.width/2))))
	b.WriteString(" ")
	item := func(k, desc string) {
		b.WriteString("  " + m.st.of(roleHelpKey).Render(k) + " " + m.st.of(roleHelpDesc).Render(desc))
	}
	var shown []Action
	for _, a := range m.opts.Actions {
		if (a.Mutates && a.Applies != nil && a.Applies(sel)) || isHistoryKey(a) {
			shown = append(shown, a)
		}
	}
	// The on-call keys first: a narrow terminal cuts the bar's end.
	sort.SliceStable(shown, func(i, j int) bool { return barRank(shown[i]) < barRank(shown[j]) })
	for _, a := range shown {
		h := a.Key.Help()
		desc, ok := barWords[h.Key]
		if !ok {
			desc = firstWord(h.Desc)
		}
		item(h.Key, desc)
	}
	item("?", "help")
	return padRight(truncateStyled(b.String(), m.width), m.width), true
}

// barWords are the action bar's words for nscope's own action keys.
var barWords = map[string]string{
	"c": "cpu", "m": "mem", "p": "pids", "e": "files", "f": "freeze", "K": "kill", "u": "undo", historyKey: "history",
}

// barOrder is the order of nscope's own keys in the action bar.
var barOrder = []string{"c", "m", "f", "K", "u", historyKey, "p", "e"}

// barRank is a's place in barOrder; other actions come after.
func barRank(a Action) int {
	k := a.Key.Help().Key
	for i, o := range barOrder {
		if o == k {
			return i
		}
	}
	return len(barOrder)
}

// keepEnd fits s in w cells by cutting its start ("…/containerd.service"):
// the end of a cgroup path tells it apart.
func keepEnd(s string, w int) string {
	s = sanitize(s)
	if width(s) <= w {
		return s
	}
	return "…" + ansi.TruncateLeft(s, width(s)-w+1, "")
}

// isHistoryKey says whether a is the history pane, which acts on the
// selection's changes without changing anything itself.
func isHistoryKey(a Action) bool { return a.Key.Help().Key == historyKey }

// firstWord is the first word of an action's description: "CPU",
// "freeze/thaw", "kill".
func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}
