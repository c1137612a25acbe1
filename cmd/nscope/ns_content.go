package main

import (
	"context"
	"errors"
	"io"

	"github.com/nscope/nscope/inspect"
)

// nsWithContent is a namespace object of "ns --json --content": the
// snapshot's fields, then what the namespace holds or why that could not
// be read.
type nsWithContent struct {
	inspect.Namespace
	Content      *inspect.NSContent `json:"content,omitempty"`
	ContentError string             `json:"content_error,omitempty"`
}

// writeNSContentJSON writes the namespaces of the selected types with
// what each holds, read now through its members or holders (see
// inspect.Scanner.NamespaceContent).
func writeNSContentJSON(ctx context.Context, w io.Writer, sc *inspect.Scanner, snap *inspect.Snapshot, types []inspect.NSType) error {
	keep := typeFilter(types)
	list := []nsWithContent{}
	for _, n := range snap.Namespaces {
		if !keep(n.Type) {
			continue
		}
		e := nsWithContent{Namespace: n}
		c, err := sc.NamespaceContent(ctx, snap, n.ID)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			e.ContentError = err.Error()
		}
		e.Content = c
		list = append(list, e)
	}
	return writeJSON(w, struct {
		SchemaVersion int                  `json:"schema_version"`
		Namespaces    []nsWithContent      `json:"namespaces"`
		Unreadable    []inspect.Unreadable `json:"unreadable,omitempty"`
	}{inspect.SchemaVersion, list, snap.Unreadable})
}
