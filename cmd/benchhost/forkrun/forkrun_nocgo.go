//go:build !(linux && cgo)

package forkrun

// Available reports whether the C helper is linked into this binary. This
// build has no cgo, so it is not, and Run fails.
func Available() bool { return false }
