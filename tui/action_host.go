package tui

import (
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// Enterer is what the x action needs of *control.Enterer: plan which
// namespaces to join, then build the command that enters them. Tests give
// one built with control.WithEnterExecutor.
type Enterer interface {
	Plan(req control.EnterRequest) (*control.EnterPlan, error)
	Enter(req control.EnterRequest) (*control.EnterCmd, error)
}

// Launcher is what the n action needs of *control.Launcher. Tests give one
// built with control.WithLaunchExecutor.
type Launcher interface {
	Launch(req control.LaunchRequest) (*control.LaunchCmd, error)
}

// actionHost is what nscope's own actions act through: Options.Enterer,
// Launcher and EUID, or the real host's when they are nil, and the Editor
// for the host a snapshot shows when Options.Editor is nil. It belongs to
// one Model; only the UI goroutine uses it.
type actionHost struct {
	opts *Options
	// screen is the terminal the app draws on, left while a shell runs
	// (nil when bubbletea draws, as in tests).
	screen *display
	// editorLayout and hostEditor cache the last editor built.
	editorLayout string
	hostEditor   LimitEditor
}

// exec runs c with tea.Exec, the screen left while it runs.
func (h *actionHost) exec(c tea.ExecCommand, fn tea.ExecCallback) tea.Cmd {
	if h.screen != nil {
		c = suspended{ExecCommand: c, s: h.screen}
	}
	return tea.Exec(c, fn)
}

// enterer returns Options.Enterer, or a new control.Enterer for the host.
func (h *actionHost) enterer() Enterer {
	if h.opts.Enterer != nil {
		return h.opts.Enterer
	}
	return control.NewEnterer()
}

// launcher returns Options.Launcher, or a new control.Launcher for the host.
func (h *actionHost) launcher() Launcher {
	if h.opts.Launcher != nil {
		return h.opts.Launcher
	}
	return control.NewLauncher()
}

// euid is the effective UID the actions that start processes check.
func (h *actionHost) euid() int {
	if h.opts.EUID != nil {
		return h.opts.EUID()
	}
	return os.Geteuid()
}

// editor returns an Editor for the host snap shows, from its cgroup
// layout (journal in control.DefaultStateDir; refused edits when not
// root), the same one while the layout stays.
func (h *actionHost) editor(snap *inspect.Snapshot) LimitEditor {
	layout := inspect.CgroupLayout{Mode: snap.CgroupMode, Hierarchies: snap.Hierarchies}
	id := fmt.Sprint(layout)
	if h.hostEditor == nil || h.editorLayout != id {
		h.editorLayout, h.hostEditor = id, control.New(layout)
	}
	return h.hostEditor
}
