package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// The program draws the view after every message, but most of a live
// app's messages change nothing on screen: the refresh tick only starts
// a refresh, the clock finds nothing to expire, events only gather until
// a patch. For those the view drawn last is handed out again instead of
// rendering every row anew (and the renderer, finding the same frame,
// writes nothing).

// screenState is what a timer or event message can change on screen;
// when it is the same after the message as when the last view was
// drawn, that view stands.
type screenState struct {
	snap          *inspect.Snapshot
	ix            *procview.Index
	flash         string
	flashOn       bool
	fresh         int
	freshness     string
	width, height int
}

// screen takes the screenState now.
func (m *Model) screen() screenState {
	return screenState{
		snap: m.snap, ix: m.ix,
		flash: m.flash.Text, flashOn: m.flash.Text != "" && m.opts.Now().Before(m.flashUntil),
		fresh:     len(m.fresh.until),
		freshness: m.freshness(),
		width:     m.width, height: m.height,
	}
}

// quietMsg reports whether msg is one of the timer and event messages
// that usually change nothing on screen, in a state where nothing else
// draws from timers (no dialog, tour or replay).
func (m *Model) quietMsg(msg tea.Msg) bool {
	switch msg.(type) {
	case tickMsg, clockMsg, liveTimerMsg, liveEventsMsg:
	default:
		return false
	}
	return m.dialogs.Len() == 0 && m.replay == nil && (m.tour == nil || m.tour.tour == nil) && !m.showHelp
}

// lastView is the view drawn last and whether it may be handed out
// again for the message being handled.
type lastView struct {
	view  tea.View
	state screenState
	valid bool
	reuse bool
	// renders counts the views rendered, for tests.
	renders int
}
