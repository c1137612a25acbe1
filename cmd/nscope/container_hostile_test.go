package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/hostile"
	"github.com/nscope/nscope/procview"
)

// TestHostileContainerNamesCLI puts the audit's hostile texts into the
// names, images, pods and compose projects of the target fixture's
// containers and checks the CONTAINER columns, nscope containers and the
// target messages (an ambiguous name lists the hostile candidates): no
// control reaches the terminal and no name splits a row.
func TestHostileContainerNamesCLI(t *testing.T) {
	snap, err := hostile.Apply(targetFixture(t), hostile.Classic)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, tc := range []struct {
		name  string
		write func() error
		rows  int
	}{
		{"ps", func() error { return writePSTable(&b, procview.NewIndex(snap, nil), procview.Filter{}, false) }, len(snap.Processes) + 1},
		{"ns", func() error { return writeNSTable(&b, snap, nil) }, len(snap.Namespaces) + 1},
		{"containers", func() error { return writeContainersTable(&b, snap, snap.Containers, nil) }, len(snap.Containers) + 1},
	} {
		b.Reset()
		if err := tc.write(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		out := b.String()
		checkTerminalText(t, tc.name, out, maxTableLine)
		if lines := strings.Count(out, "\n"); lines != tc.rows {
			t.Fatalf("%s: %d lines, want %d:\n%s", tc.name, lines, tc.rows, out)
		}
	}
	b.Reset()
	_ = writePSTable(&b, procview.NewIndex(snap, nil), procview.Filter{}, false)
	if !strings.Contains(b.String(), `docker:\e[31mred\nrow`) {
		t.Errorf("ps does not show the container name escaped:\n%s", b.String())
	}
	// A query with controls is refused, and the refusal quotes it safely.
	_, _, err = cgroupTargetOf(snap, hostile.Classic.Comm)
	if !errors.Is(err, inspect.ErrBadContainerQuery) {
		t.Fatalf("cgroupTargetOf(the hostile name) = %v, want a bad query", err)
	}
	checkTerminalText(t, "bad query error", errorText(err), 0)
	// An ambiguity lists the hostile candidates, escaped as nscope prints
	// errors.
	amb := &inspect.AmbiguousContainerError{Query: "web"}
	for i := range snap.Containers {
		amb.Candidates = append(amb.Candidates, &snap.Containers[i])
	}
	text := errorText(amb)
	if strings.Contains(text, "\n") || strings.Count(text, `\n`) < len(snap.Containers)-2 {
		t.Errorf("the ambiguous error does not list the candidates escaped on one line: %s", text)
	}
	checkTerminalText(t, "ambiguous error", text, 0)
}
