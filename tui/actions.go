package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/tui/dialog"
)

// Selection is the item an action acts on: the selected row of the
// current view, or the link focused in the detail pane. Exactly one of
// Namespace, Process and Cgroup is set, matching Kind; for a container
// (Kind KindContainer), Container and its init's Process (nil when it is
// stopped), so that the actions on a process act on the container.
type Selection struct {
	Kind      procview.Kind
	Namespace *inspect.Namespace
	Process   *inspect.Process
	Cgroup    *inspect.Cgroup
	Container *inspect.Container
	// Merged is set when the selection is a row of the merged cgroup
	// tree: the path in every hierarchy. Cgroup is then its Primary; the
	// cgroup actions act on each controller's hierarchy at the path.
	Merged *procview.MergedCgroup
	// Snapshot is the snapshot the item comes from.
	Snapshot *inspect.Snapshot
}

// ActionEnv is what an action gets when its key is pressed.
type ActionEnv struct {
	Selection Selection
	// Styles are the app's current styles, for dialogs that draw
	// themselves consistently.
	Styles *Styles
	// Width and Height are the terminal's size.
	Width, Height int
	// Editor is the app's cgroup limit writer (Options.Editor), or nil.
	Editor LimitEditor
	// launched is where a background launch is registered, so that the
	// app stops it and removes its cgroup when it ends.
	launched *launchedSet
	// host is what nscope's own actions act through (Options.Enterer,
	// Launcher and EUID with their defaults, and the editor cache).
	host *actionHost
	// readOnly is why the app changes nothing (--read-only, a loaded
	// snapshot), or "": what an action that only sometimes changes
	// something (the history pane's undo) refuses with.
	readOnly string
}

// Action is a key that acts on the selection, usually by opening a
// dialog: editing a cgroup limit, entering a process's namespaces,
// launching a process. Options.Actions lists them (DefaultActions are
// nscope's own); their keys join the help by themselves.
type Action struct {
	// Key is the binding, with its help text.
	Key key.Binding
	// Applies reports whether the action can act on sel; nil means always.
	// When it cannot, the key shows a message saying so.
	Applies func(sel Selection) bool
	// NotApplicable is that message, e.g. "select a cgroup to edit its
	// memory limit".
	NotApplicable string
	// Mutates marks an action that changes the host. It is refused with
	// a message under --read-only and on a snapshot opened with --load.
	Mutates bool
	// Run starts the action and returns a dialog to open (or nil) and a
	// command (or nil). Long work belongs in the command, never in Run.
	Run func(env ActionEnv) (dialog.Dialog, tea.Cmd)
}

// DefaultActions lists nscope's actions, in the order the help shows
// them: the live-throttling keys (c m p e f K u), the shell in a
// process's namespaces (x) and the launch in new namespaces (n). Keys of
// other actions must not collide with these nor with the app's own (see
// DefaultKeyMap).
func DefaultActions() []Action {
	return append(limitActions(), shellAction(), spawnAction())
}

// FlashMsg shows a one-line message in the status line for a few seconds;
// Err marks it as an error. Actions return it (through Flash) to report
// what they did.
type FlashMsg struct {
	Text string
	Err  bool
}

// Flash returns a command that shows text in the status line.
func Flash(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return FlashMsg{Text: text, Err: isErr} }
}

// RefreshMsg asks for a new scan right away, e.g. after an action changed
// a limit, so the change shows without waiting for the next tick.
type RefreshMsg struct{}

// RefreshNow is a command that requests an immediate refresh.
func RefreshNow() tea.Msg { return RefreshMsg{} }
