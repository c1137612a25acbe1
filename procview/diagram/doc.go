// Package diagram draws a snapshot's namespaces as a picture for a slide
// or a report: user-namespace ownership, pid-namespace nesting, the
// processes in each pid namespace and the veth links between network
// namespaces, as Graphviz DOT (for those who lay it out themselves) and as
// SVG laid out and written here (no graphviz needed at run time).
//
// Build turns a snapshot (the whole host, or the neighbourhood of one
// item) into a Graph: nodes with label lines and a layout parent, and
// typed edges. DOT and SVG render a Graph; every label is host text and is
// escaped for the format it goes into. Nothing here does I/O: the veth
// links come from inspect.NetContent the caller read (see VethLinks).
package diagram
