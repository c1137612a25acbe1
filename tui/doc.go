// Package tui is nscope's terminal UI: a Bubble Tea v2 app that shows the
// host's namespaces, processes and cgroups as three cross-linked trees
// with a detail pane, refreshed live off the UI goroutine.
//
// The root Model owns one listView per tree, the detail pane, the status
// line, the help overlay and a dialog stack (package tui/dialog). Keys
// come from one KeyMap, colours from one Styles built from the terminal's
// background. Features that act on the selected item (editing cgroup
// limits, entering namespaces, launching) are Actions that Options.Actions
// lists (DefaultActions by default); their keys appear in the help by
// themselves. The app reads nothing from the host itself: scans and
// counter refreshes come from its Source (an *inspect.Scanner), writes go
// through control.
package tui
