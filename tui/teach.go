package tui

import (
	tea "charm.land/bubbletea/v2"
)

// teach is the state of the features for teaching how namespaces nest:
// what the selected namespace holds (ns_content.go), where the app starts
// (start.go) and the guided tour (tour.go). The Model embeds it.
type teach struct {
	content contentState
	start   startState
	tour    *tourState
}

// afterUpdate runs after every message: it applies the start options and
// the tour's step once a scan is shown, and starts reading what the
// selected namespace holds when that is not known yet.
func (m *Model) afterUpdate() tea.Cmd {
	if m.ix == nil {
		return nil
	}
	m.syncContentGen()
	m.applyStart()
	m.syncTour()
	return m.loadContent()
}
