package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/procview"
)

// SelectProcessMsg asks the app to select the process PID in the process
// view as soon as a scan shows it, e.g. right after an action launched it.
// A full scan is started at once (even when paused); if that scan does not
// have the process, the status line says so.
type SelectProcessMsg struct{ PID int }

// SelectProcess returns a command that selects pid once it is scanned.
func SelectProcess(pid int) tea.Cmd {
	return func() tea.Msg { return SelectProcessMsg{PID: pid} }
}

// onSelectProcess remembers the PID and starts a full scan.
func (m *Model) onSelectProcess(msg SelectProcessMsg) tea.Cmd {
	if !m.opts.live() {
		m.selectNow(msg.PID)
		return nil
	}
	m.pendingSelect = msg.PID
	m.forceFull = true
	if m.scanning {
		// The scan under way may predate the process: the next full one
		// is forced and selects it.
		m.gen++
		m.scanning = false
	}
	return m.startScan()
}

// selectPending selects the pending PID after a full scan arrived.
func (m *Model) selectPending(full bool) {
	if m.pendingSelect == 0 || !full {
		return
	}
	pid := m.pendingSelect
	m.pendingSelect = 0
	m.selectNow(pid)
}

// selectNow follows the link to pid, or says it is not there.
func (m *Model) selectNow(pid int) {
	if m.snap == nil || m.snap.Process(pid) == nil {
		m.flash = FlashMsg{Text: fmt.Sprintf("process %d is not in the last scan (it may have exited already)", pid), Err: true}
		m.flashUntil = m.opts.Now().Add(flashFor)
		return
	}
	m.follow(procview.ProcessKey(m.snap.Process(pid)))
}
