package tui

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/nscope/nscope/inspect"
)

// modeLabel names a cgroup mode the way the issue tracker and people do.
func modeLabel(mode inspect.CgroupMode) string {
	switch mode {
	case inspect.CgroupUnified:
		return "cgroup v2"
	case inspect.CgroupHybrid:
		return "cgroup hybrid"
	case inspect.CgroupLegacy:
		return "cgroup v1"
	}
	return "no cgroups"
}

// renderStatus draws the status line: cgroup mode, privileges, counts,
// what could not be read, and how fresh the data is. Parts that do not
// fit are left out from the least important; freshness always shows.
func (m *Model) renderStatus() string {
	st := &m.st
	right := m.freshness()
	if m.snap == nil {
		return st.of(roleStatus).Render(fit(" "+right, m.width, false))
	}
	s := m.snap
	priv := "root"
	if !s.Host.Root {
		priv = "uid " + itoa(s.Host.UID) + " (limited view)"
	}
	if m.readOnlyReason() != "" {
		priv += " · read-only"
	}
	mode := modeLabel(s.CgroupMode)
	if host := m.remoteHost(); host != "" {
		mode = host + " · " + mode
	}
	procs := itoa(len(s.Processes)) + " procs"
	counts := procs + " · " + itoa(len(s.Namespaces)) + " ns · " + itoa(len(s.Cgroups)) + " cgroups"
	bad, badShort := "", ""
	if n := s.UnreadableTotal(); n > 0 {
		var kinds []string
		for _, u := range s.Unreadable {
			kinds = append(kinds, u.Kind+" "+u.Errno)
		}
		bad = itoa(n) + " unreadable: " + strings.Join(kinds, ", ")
		badShort = itoa(n) + " unreadable"
	}
	scan := ""
	if s.ScanDuration > 0 && m.opts.live() {
		scan = "scan " + s.ScanDuration.Round(time.Millisecond).String()
		if m.refreshed {
			scan = "counters " + m.shownRefresh.String()
		}
	}
	join := func(parts ...string) string {
		var keep []string
		for _, p := range parts {
			if p != "" {
				keep = append(keep, p)
			}
		}
		return " " + strings.Join(keep, " · ")
	}
	// From the most to the least detail; the first that fits wins.
	candidates := []string{
		join(mode, priv, counts, bad, scan),
		join(mode, priv, counts, bad),
		join(mode, priv, procs, bad),
		join(mode, priv, procs, badShort),
		join(mode, procs, badShort),
		join(mode),
	}
	left := candidates[len(candidates)-1]
	for _, c := range candidates {
		if width(c)+width(right)+2 <= m.width {
			left = c
			break
		}
	}
	lw := width(left)
	gap := m.width - lw - width(right) - 1
	if gap < 1 {
		return st.of(roleStatus).Render(fit(left+" · "+right, m.width, false))
	}
	rr := roleStatus
	if m.paused || m.scanErr != nil || m.remoteLost() != "" || (m.replay != nil && m.replay.playing) {
		rr = roleStatusAccent
	}
	return st.of(roleStatus).Render(left+strings.Repeat(" ", gap)) + st.of(rr).Render(right+" ")
}

// freshness says how old the data is: "updated 3s ago", "PAUSED",
// "snapshot host.json from 2026-03-01 12:00", or the scan error.
func (m *Model) freshness() string {
	if m.replay != nil {
		return m.replayFreshness()
	}
	if m.opts.Snapshot != nil {
		name := filepath.Base(m.opts.LoadedFrom)
		if name == "." || name == "" {
			name = "snapshot"
		}
		return "saved " + sanitize(name) + " from " + m.opts.Snapshot.Time.Local().Format("2006-01-02 15:04") + ", no refresh"
	}
	if why := m.remoteLost(); why != "" {
		// What matters first: lost, read-only, how old; why last, where
		// it is cut when the line is short.
		data := "no data yet"
		if m.snap != nil {
			data = "read-only, data " + ago(m.opts.Now().Sub(m.lastRefresh)) + " old"
		}
		return "connection lost · " + data + " · reconnecting: " + sanitize(why)
	}
	if m.scanErr != nil {
		return "scan failed: " + sanitize(m.scanErr.Error())
	}
	if m.snap == nil {
		return "scanning…"
	}
	d := m.opts.Now().Sub(m.lastRefresh)
	age := ago(d)
	if m.paused {
		return "PAUSED (space resumes), data " + age + " old"
	}
	updated := "updated " + age + " ago"
	if d < m.onTime() {
		// On schedule: a line that does not change at every refresh
		// leaves the frame alone (nothing to draw on a quiet host).
		updated = "updated just now"
	}
	if live := m.liveLabel(); live != "" {
		return live + " · " + updated
	}
	return updated
}

// onTime is the age below which the data counts as on schedule: two
// refresh intervals, and at least 2 s.
func (m *Model) onTime() time.Duration {
	return max(2*m.opts.Interval, 2*time.Second)
}
