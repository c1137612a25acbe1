// Package procview turns inspect snapshots into what people read: rows of
// flattened trees, sorted and filtered; rates between two snapshots (CPU%,
// throttling); and values in readable units. It does no I/O and never
// imports terminal packages, so the TUI and the CLI share it.
package procview
