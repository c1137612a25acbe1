package main

import (
	"context"

	"github.com/nscope/nscope/inspect"
)

// newScanner returns a scanner over the roots given by the global flags.
func newScanner(opts ...inspect.Option) *inspect.Scanner {
	base := []inspect.Option{inspect.ProcRoot(global.procRoot), inspect.SysRoot(global.sysRoot)}
	return inspect.New(append(base, opts...)...)
}

// scan takes one snapshot with the global roots.
func scan(ctx context.Context, opts ...inspect.Option) (*inspect.Snapshot, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	s := newScanner(opts...)
	defer s.Close()
	return s.Scan(ctx)
}
