//go:build linux && cgo

package nsexec

// The C constructor in nsexec.c is compiled into every binary that links
// this package; it does nothing unless the environment asks for it.

/*
#cgo CFLAGS: -Wall -Wextra -std=gnu11 -O2
*/
import "C"

// Available reports whether the C helper is linked into this binary, so
// that re-executing it with Request.Env enters namespaces. It is false in
// builds without cgo.
func Available() bool { return true }
