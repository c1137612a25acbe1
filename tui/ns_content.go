package tui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
)

// contentTimeout bounds one read of what a namespace holds.
const contentTimeout = 5 * time.Second

// contentState is what the app knows of what namespaces hold (see
// inspect.NSContent): it reads the selected namespace's content in a
// command, off the UI goroutine, one namespace at a time, and keeps the
// results until the next full scan. Counter refreshes keep them: only a
// full scan can bring new namespaces or holders.
type contentState struct {
	cache inspect.ContentCache
	// base is the full scan the results belong to; gen counts full scans.
	base *inspect.Snapshot
	gen  uint64
	// results are this generation's reads, by namespace.
	results map[inspect.NSID]contentResult
	// busy is set while a read is in flight; the next starts when it ends.
	busy bool
}

// contentResult is one namespace's content, or why it could not be read.
type contentResult struct {
	content *inspect.NSContent
	err     error
}

// contentMsg carries a finished read of generation gen.
type contentMsg struct {
	gen uint64
	id  inspect.NSID
	res contentResult
}

// contentReader returns what reads namespace contents: the Source when it
// can (a *inspect.Scanner can; a loaded snapshot has no live kernel to
// ask), else nil.
func (m *Model) contentReader() inspect.ContentReader {
	if !m.opts.live() {
		return nil
	}
	r, _ := m.opts.Source.(inspect.ContentReader)
	return r
}

// syncContentGen starts a new generation when a new full scan is shown.
func (m *Model) syncContentGen() {
	if c := &m.content; c.base != m.ixBase {
		c.base = m.ixBase
		c.gen++
		c.results = map[inspect.NSID]contentResult{}
	}
}

// contentFor returns the content read for namespace id in this generation.
func (m *Model) contentFor(id inspect.NSID) (contentResult, bool) {
	r, ok := m.content.results[id]
	return r, ok
}

// loadContent returns the command that reads the selected namespace's
// content, when it is not known yet and no read is in flight; nil
// otherwise.
func (m *Model) loadContent() tea.Cmd {
	c := &m.content
	if m.ix == nil || c.busy || m.view != NamespacesView {
		return nil
	}
	r := m.list().selected()
	if r == nil || r.Namespace == nil {
		return nil
	}
	if _, ok := c.results[r.Namespace.ID]; ok {
		return nil
	}
	reader := m.contentReader()
	if reader == nil || m.ixBase == nil {
		return nil
	}
	c.busy = true
	ctx, cache, gen, snap, id := m.ctx, &c.cache, c.gen, m.ixBase, r.Namespace.ID
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, contentTimeout)
		defer cancel()
		content, err := cache.Get(ctx, reader, gen, snap, id)
		return contentMsg{gen: gen, id: id, res: contentResult{content, err}}
	}
}

// onContent keeps a finished read and redraws the detail pane if it shows
// that namespace.
func (m *Model) onContent(msg contentMsg) {
	c := &m.content
	c.busy = false
	if msg.gen != c.gen {
		return
	}
	if errors.Is(msg.res.err, context.Canceled) {
		// The app is ending; nothing to keep.
		return
	}
	c.results[msg.id] = msg.res
	if r := m.list().selected(); r != nil && r.Namespace != nil && r.Namespace.ID == msg.id {
		m.refreshDetail()
	}
}

// contentSummary is the one-sentence summary of what namespace id holds
// (a user namespace's ID maps, a time namespace's offsets), when read.
func (m *Model) contentSummary(id inspect.NSID) string {
	r, ok := m.contentFor(id)
	if !ok || r.content == nil {
		return ""
	}
	switch {
	case r.content.User != nil && r.content.User.Summary != "":
		return "Its ID maps: " + r.content.User.Summary + "."
	case r.content.Time != nil && r.content.Time.Summary != "":
		return "Its clocks: " + r.content.Time.Summary + "."
	}
	return ""
}

// nsContentView is what the detail pane shows of a namespace's content.
type nsContentView struct {
	// live is false when nothing can be read: a saved snapshot, or a
	// source that cannot read namespaces; saved tells which.
	live, saved bool
	// known is set when res holds a finished read.
	known bool
	res   contentResult
}

// contentView returns what the detail pane shows about namespace id.
func (m *Model) contentView(id inspect.NSID) nsContentView {
	v := nsContentView{live: m.contentReader() != nil, saved: m.opts.Snapshot != nil || m.replay != nil}
	v.res, v.known = m.contentFor(id)
	return v
}
