package tui

// RemoteSource is a Source on another host (nscope -H): the status line
// names the host, and while the connection is lost the app keeps the
// last snapshot on screen, refuses every change, and goes on asking the
// source, which reconnects.
type RemoteSource interface {
	Source
	// Host names the host for the status line: "db1", "root@db1:2222".
	Host() string
	// Lost says why the connection is down, or "" while it is up.
	Lost() string
}

// remoteSource returns the app's source when it is a remote one.
func (m *Model) remoteSource() RemoteSource {
	if !m.opts.live() {
		return nil
	}
	rs, _ := m.opts.Source.(RemoteSource)
	return rs
}

// remoteLost says why the connection to a remote source is down, or "".
func (m *Model) remoteLost() string {
	if rs := m.remoteSource(); rs != nil {
		return rs.Lost()
	}
	return ""
}

// remoteHost is the remote source's host name, sanitized, or "".
func (m *Model) remoteHost() string {
	if rs := m.remoteSource(); rs != nil {
		return sanitize(rs.Host())
	}
	return ""
}
