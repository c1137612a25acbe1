package tui

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/record"
)

// onReplayKey handles the replay's keys: stepping, jumping, the time
// prompt, play, re-reading, and the refusal of every action; ok says the
// key was the replay's.
func (m *Model) onReplayKey(msg tea.KeyPressMsg) (cmd tea.Cmd, ok bool) {
	rp := m.replay
	if rp == nil {
		return nil, false
	}
	if rp.prompting {
		return m.onReplayPromptKey(msg), true
	}
	if m.filtering || m.showHelp {
		return nil, false
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.StepBack):
		return m.replayStep(-1), true
	case key.Matches(msg, k.StepForward):
		return m.replayStep(1), true
	case key.Matches(msg, k.PrevMark):
		return m.replayMark(-1), true
	case key.Matches(msg, k.NextMark):
		return m.replayMark(1), true
	case key.Matches(msg, k.FirstRecord):
		rp.playing = false
		return m.replayGo(0, true), true
	case key.Matches(msg, k.LastRecord):
		rp.playing = false
		return m.replayGo(len(rp.entries)-1, false), true
	case key.Matches(msg, k.JumpTime):
		rp.playing = false
		rp.prompting = true
		rp.prompt.SetValue("")
		return nil, true
	case key.Matches(msg, k.Pause):
		return m.replayPlay(!rp.playing), true
	case key.Matches(msg, k.Refresh):
		return m.replayReopen(), true
	}
	// Every action is refused, also those that only read (the history
	// pane reads this host's journal, not the recording's).
	for _, a := range m.opts.Actions {
		if key.Matches(msg, a.Key) {
			return Flash(m.replayReadOnly(), true), true
		}
	}
	return nil, false
}

// replayStep steps delta records from the one asked for last.
func (m *Model) replayStep(delta int) tea.Cmd {
	rp := m.replay
	rp.playing = false
	to := rp.want + delta
	if to < 0 || to >= len(rp.entries) {
		where := "first"
		if to >= 0 {
			where = "last"
		}
		m.flashNow("this is the "+where+" record of the recording ("+rp.stamp(rp.entries[rp.want].Time)+")", false)
		return nil
	}
	return m.replayGo(to, delta > 0)
}

// replayMark jumps to the previous (dir < 0) or next mark from the record
// asked for last (replayState.jumps: a throttling that goes on is one).
func (m *Model) replayMark(dir int) tea.Cmd {
	rp := m.replay
	rp.playing = false
	from := rp.want
	var to int
	if dir > 0 {
		k := sort.SearchInts(rp.jumps, from+1)
		if k == len(rp.jumps) {
			m.flashNow("no mark after "+rp.stamp(rp.entries[from].Time), false)
			return nil
		}
		to = rp.jumps[k]
	} else {
		k := sort.SearchInts(rp.jumps, from) - 1
		if k < 0 {
			m.flashNow("no mark before "+rp.stamp(rp.entries[from].Time), false)
			return nil
		}
		to = rp.jumps[k]
	}
	return m.replayGo(to, dir > 0)
}

// replayPlay starts or stops playing: a step forward per record, as far
// apart as they were recorded (at most a second, so gaps pass quickly).
func (m *Model) replayPlay(on bool) tea.Cmd {
	rp := m.replay
	if on && rp.want == len(rp.entries)-1 {
		m.flashNow("this is the end of the recording: < goes to its start", false)
		return nil
	}
	rp.playing = on
	rp.playTick++
	if !on {
		return nil
	}
	return m.replayNextTick()
}

// replayNextTick waits for the next record's time.
func (m *Model) replayNextTick() tea.Cmd {
	rp := m.replay
	wait := time.Second
	if i := rp.want; i+1 < len(rp.entries) {
		wait = min(max(rp.entries[i+1].Time.Sub(rp.entries[i].Time), 50*time.Millisecond), time.Second)
	}
	tick := rp.playTick
	return tea.Tick(wait, func(time.Time) tea.Msg { return replayTickMsg{tick: tick} })
}

// onReplayTick steps a playing replay; one tick is out at a time.
func (m *Model) onReplayTick(msg replayTickMsg) tea.Cmd {
	rp := m.replay
	if !rp.playing || msg.tick != rp.playTick {
		return nil
	}
	if rp.want >= len(rp.entries)-1 {
		rp.playing = false
		m.flashNow("the end of the recording", false)
		return nil
	}
	return tea.Batch(m.replayGo(rp.want+1, true), m.replayNextTick())
}

// onReplayPromptKey edits the time to jump to; enter jumps, esc cancels.
func (m *Model) onReplayPromptKey(msg tea.KeyPressMsg) tea.Cmd {
	rp := m.replay
	switch msg.String() {
	case "esc":
		rp.prompting = false
	case "enter":
		rp.prompting = false
		return m.replayJump(rp.prompt.Value())
	default:
		rp.prompt.Update(msg)
	}
	return nil
}

// replayNow is "now" for the times typed in a replay: the end of the
// recording, so that 03:12 is the last 03:12 it holds and -10m ten
// minutes before its end (for a recording still being written, about
// now).
func (rp *replayState) replayNow() time.Time { return rp.entries[len(rp.entries)-1].Time.Local() }

// replayJump jumps to the moment typed: the record that holds the state
// then. A time the recording does not cover goes to the nearest record
// and says so.
func (m *Model) replayJump(text string) tea.Cmd {
	rp := m.replay
	if text == "" {
		return nil
	}
	t, err := record.ParseTime(text, rp.replayNow())
	if err != nil {
		m.flashNow(err.Error(), true)
		return nil
	}
	first, last := rp.entries[0].Time, rp.entries[len(rp.entries)-1].Time
	i, err := rp.rec.Find(t)
	switch {
	case err == nil:
	case errors.Is(err, record.ErrBeforeStart):
		i = 0
		m.flashNow(fmt.Sprintf("%s is before the recording, which starts at %s: showing its start", rp.stamp(t), rp.stamp(first)), true)
	case t.After(last):
		i = len(rp.entries) - 1
		m.flashNow(fmt.Sprintf("%s is after the recording, which ends at %s: showing its end", rp.stamp(t), rp.stamp(last)), true)
	default:
		// In a gap: the state then is unknown; the first record after
		// it is the next thing known.
		i = rp.nearest(t)
		if rp.entries[i].Time.Before(t) && i+1 < len(rp.entries) {
			i++
		}
		m.flashNow(fmt.Sprintf("the recorder was not running at %s: showing %s", rp.stamp(t), rp.stamp(rp.entries[i].Time)), true)
	}
	return m.replayGo(i, false)
}

// renderReplayPrompt draws the footer while a time is typed.
func (m *Model) renderReplayPrompt() string {
	label := " jump to "
	hint := "  03:12 · -10m · 2026-03-04 03:12 · RFC 3339 · enter jumps · esc cancels"
	w := m.width - width(label) - width(hint)
	if w < 12 {
		hint = "  enter · esc"
		w = m.width - width(label) - width(hint)
	}
	return m.st.of(roleHelpKey).Render(label) + padRight(m.replay.prompt.render(w, m.st.of(roleSelected)), w) + m.st.of(roleDim).Render(hint)
}

// replayPrompting says the footer is the time prompt.
func (m *Model) replayPrompting() bool { return m.replay != nil && m.replay.prompting }
