//go:build !(linux && cgo)

package nsexec

// Available reports whether the C helper is linked into this binary. This
// build has no cgo (or is not for Linux), so it is not: entering mount,
// user and time namespaces is impossible from the multithreaded Go runtime.
func Available() bool { return false }
