package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview/diagram"
)

// exportTimeout bounds an export: reading every network namespace's
// interfaces for the veth links, drawing, writing two files.
const exportTimeout = 30 * time.Second

// maxExportTries is how many numbered names an export tries before it
// gives up (a directory full of earlier exports of the same second).
const maxExportTries = 1000

// exportedMsg reports an export: the files written, or why not.
type exportedMsg struct {
	svg, dot string
	what     string
	nodes    int
	veth     int
	// noVeth says why no veth link could be drawn, if so.
	noVeth string
	err    error
}

// export draws the namespaces (user, pid and net, as "nscope ns --tree
// --format svg" does), or with around the neighbourhood of the selected
// namespace or process, and writes it as SVG and DOT files side by side in
// the export directory. Names carry the time and, when taken, a counter:
// an existing file is never overwritten. Everything runs in a command:
// the network namespaces are read for their veth links, then the files
// written.
func (m *Model) export(around bool) tea.Cmd {
	if m.ix == nil || m.ixBase == nil {
		return Flash("nothing to draw yet: the first scan is not in", false)
	}
	opt := diagram.Options{Types: diagram.DefaultTypes}
	what, base := "the user, pid and net namespaces", "nscope-namespaces"
	if around {
		sel, ok := m.selection()
		if !ok || (sel.Namespace == nil && sel.Process == nil) {
			return Flash("D draws the neighbourhood of a namespace or a process: select one (d draws them all)", false)
		}
		k := selectionKey(sel)
		opt.Around = &k
		switch {
		case sel.Namespace != nil:
			n := sel.Namespace
			if !slices.Contains(opt.Types, n.Type) {
				opt.Types = append(slices.Clone(opt.Types), n.Type)
			}
			what = "what is around " + n.Type.String() + " namespace " + n.ID.String()
			base = "nscope-" + n.Type.String() + "-" + strconv.FormatUint(n.ID.Ino, 10)
		default:
			what = fmt.Sprintf("what is around process %d", sel.Process.PID)
			base = "nscope-pid-" + strconv.Itoa(sel.Process.PID)
		}
	}
	dir := m.opts.ExportDir
	if dir == "" {
		dir = "."
	}
	snap, reader, cache, gen, ctx := m.ixBase, m.contentReader(), &m.content.cache, m.content.gen, m.ctx
	stamp := m.opts.Now().Format("20060102-150405")
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, exportTimeout)
		defer cancel()
		msg := exportedMsg{what: what}
		if reader == nil {
			msg.noVeth = "no veth links: a saved snapshot cannot read interfaces"
		} else {
			net := map[inspect.NSID]*inspect.NetContent{}
			for _, n := range snap.NamespacesOf(inspect.NetNS) {
				if c, err := cache.Get(ctx, reader, gen, snap, n.ID); err == nil && c.Net != nil {
					net[n.ID] = c.Net
				}
			}
			opt.Veth = diagram.VethLinks(net)
		}
		g, err := diagram.Build(snap, opt)
		if err != nil {
			msg.err = err
			return msg
		}
		msg.nodes = len(g.Nodes)
		for _, e := range g.Edges {
			if e.Kind == diagram.EdgeVeth {
				msg.veth++
			}
		}
		msg.svg, msg.dot, msg.err = writeExport(dir, base+"-"+stamp, g.SVG(), g.DOT())
		return msg
	}
}

// writeExport writes svg and dot as DIR/NAME.svg and DIR/NAME.dot, or
// NAME-2, NAME-3, ... when a file of that name exists: files are created
// with O_EXCL, so nothing is ever overwritten, and O_NOFOLLOW, so a
// symlink planted at the name is not followed.
func writeExport(dir, name, svg, dot string) (svgPath, dotPath string, err error) {
	for i := 1; i <= maxExportTries; i++ {
		stem := name
		if i > 1 {
			stem = name + "-" + strconv.Itoa(i)
		}
		svgPath, dotPath = filepath.Join(dir, stem+".svg"), filepath.Join(dir, stem+".dot")
		fs, err := createNew(svgPath)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		fd, err := createNew(dotPath)
		if err != nil {
			fs.Close()
			os.Remove(svgPath) // ours, made above, empty
			if errors.Is(err, os.ErrExist) {
				continue
			}
			return "", "", err
		}
		err = writeClose(fs, svg)
		if derr := writeClose(fd, dot); err == nil {
			err = derr
		}
		return svgPath, dotPath, err
	}
	return "", "", fmt.Errorf("%s: %d files of that name exist already; remove some or choose another directory (--export-dir)", filepath.Join(dir, name), maxExportTries)
}

// createNew creates path for writing; it fails with os.ErrExist when
// anything is there already.
func createNew(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
}

// writeClose writes s to f and closes it.
func writeClose(f *os.File, s string) error {
	_, err := f.WriteString(s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return nil
}

// onExported says in the status line what was written where.
func (m *Model) onExported(msg exportedMsg) {
	if msg.err != nil {
		m.flashNow("diagram not written: "+msg.err.Error(), true)
		return
	}
	text := fmt.Sprintf("wrote %s and %s: the diagram of %s, %d nodes, %d veth link%s", msg.svg, filepath.Base(msg.dot), msg.what, msg.nodes, msg.veth, plural1(msg.veth))
	if msg.noVeth != "" {
		text += "; " + msg.noVeth
	}
	m.flashNow(text, false)
}

// plural1 is "s" unless n is 1.
func plural1(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
