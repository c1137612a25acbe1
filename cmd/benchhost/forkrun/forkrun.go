//go:build linux && cgo

package forkrun

// The C constructor in forkrun.c is compiled into every binary that links
// this package; it does nothing unless EnvFD is set.

/*
#cgo CFLAGS: -Wall -Wextra -std=gnu11 -O2
*/
import "C"

// Available reports whether the C helper is linked into this binary.
func Available() bool { return true }
