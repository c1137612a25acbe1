package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// TestSubcommands checks the one list of subcommands: every command once,
// and the TUI as the root action with its flags.
func TestSubcommands(t *testing.T) {
	root := newRootCmd()
	var names []string
	for _, c := range root.Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			names = append(names, c.Name())
		}
	}
	slices.Sort(names)
	want := []string{"agent", "cg", "containers", "enter", "events", "freeze", "history", "kill", "ns", "ps", "record", "run", "set", "snapshot", "thaw", "tour", "undo"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("subcommands (-want +got):\n%s", diff)
	}
	for _, flag := range []string{"interval", "load"} {
		if root.Flags().Lookup(flag) == nil {
			t.Errorf("the root command has no --%s: the TUI action's flags are missing", flag)
		}
	}
}

// TestRootWithoutAction: a root command built without an action shows
// the help instead of starting anything.
func TestRootWithoutAction(t *testing.T) {
	ran := false
	sub := &cobra.Command{Use: "probe", Short: "a probe command", RunE: func(*cobra.Command, []string) error { ran = true; return nil }}
	root := rootCommand(rootAction{}, []*cobra.Command{sub})
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs(nil)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if ran || !strings.Contains(out.String(), "probe") {
		t.Errorf("nscope without an action ran %v, printed:\n%s\nwant the help listing the subcommand", ran, out.String())
	}
}
