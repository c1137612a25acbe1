package tui

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEndSortShowsTop runs the built binary in an 80×24 tmux on the
// hybrid host's snapshot: at the end of a list longer than the screen,
// s sorts and shows the top of the list with the cursor on its first
// row, and the tab line says where the cursor is.
func TestEndToEndSortShowsTop(t *testing.T) {
	bin := buildBinary(t)
	fixture, err := filepath.Abs(filepath.Join("testdata", "host-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	tm := newTmuxTerm(t, 80, 24)
	tm.sendText(bin + " --load " + fixture)
	tm.send("Enter")
	tm.waitText("1/28 · tree · sort PID")

	tm.send("End")
	s := tm.waitText("28/28 · tree · sort PID")
	if strings.Contains(s, "▾ /process_api") {
		t.Fatalf("the list fits on the screen; the test needs one that scrolls:\n%s", s)
	}
	tm.send("s")
	s = tm.waitText("1/28 · tree · sort CPU")
	lines := strings.Split(s, "\n")
	if len(lines) < 3 || !strings.Contains(lines[1], "PID") || !strings.Contains(lines[2], "/process_api") {
		t.Errorf("after s the top row is not the first row on screen:\n%s", s)
	}
	tm.send("3")
	tm.waitText("1/9 · merged · sort name")
	tm.send("End")
	tm.waitText("9/9 · merged · sort name")
	tm.send("s")
	s = tm.waitText("1/9 · merged · sort CPU")
	if !strings.Contains(strings.Split(s, "\n")[2], "▾ /") {
		t.Errorf("after s in the Cgroups view the root is not the first row:\n%s", s)
	}
	tm.send("q")
	checkRestored(t, tm)
}
