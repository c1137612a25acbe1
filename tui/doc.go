// Package tui is nscope's terminal UI: a Bubble Tea v2 app that shows the
// host's namespaces, processes and cgroups as three cross-linked trees
// with a detail pane, refreshed live off the UI goroutine.
//
// The root Model owns one listView per tree, the detail pane, the status
// line, the help overlay and a dialog stack (package tui/dialog). Keys
// come from one KeyMap, colours from one Styles built from the terminal's
// background. Features that act on the selected item (editing cgroup
// limits, entering namespaces, launching) plug in as Actions with
// RegisterAction; their keys appear in the help by themselves.
package tui
