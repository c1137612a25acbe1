package main

import (
	"io"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// writeNSNestingTree draws the nesting tree: every pid namespace under its
// parent pid namespace and every user namespace under its parent, the
// types that do not nest under their owner (see procview.NestingParent),
// with the owner named on each row it is not drawn above. With a type
// filter, the ancestors of matching namespaces are kept.
func writeNSNestingTree(w io.Writer, snap *inspect.Snapshot, types []inspect.NSType) error {
	keep := typeFilter(types)
	rows := nsTreeRows(snap, keep, procview.TreeOptions{Nesting: true, Sort: procview.SortName})
	var b strings.Builder
	for _, r := range rows {
		n := r.Namespace
		if prefix := r.TreePrefix(0); prefix != "" {
			b.WriteString(prefix + " ")
		}
		b.WriteString(nsTreeLabel(snap, n, keep(n.Type)))
		if o := snap.Namespace(n.Owner); o != nil && o.ID != n.ID && o != procview.NestingParent(snap, n) {
			b.WriteString(" owner user " + o.ID.String())
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
