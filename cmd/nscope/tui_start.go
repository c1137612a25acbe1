package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/tui"
)

// addStartFlags adds the flags that say where the TUI opens and where its
// diagrams go.
func addStartFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&tuiFlags.view, "view", "", "open this view: ns, ps or cg (default ps)")
	f.StringVar(&tuiFlags.filter, "filter", "", "open with this filter typed (as / does)")
	f.StringVar(&tuiFlags.sel, "select", "", "open with this item selected, in its view: a PID (812), a namespace (4026532254 or net:[4026532254]) or a cgroup path (/nscope/demo or memory:/nscope/demo)")
	f.StringVar(&tuiFlags.exportDir, "export-dir", "", "directory the d and D keys write diagrams (SVG and DOT) to (default: the current directory)")
	_ = cmd.RegisterFlagCompletionFunc("view", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"ns", "ps", "cg"}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = cmd.MarkFlagDirname("export-dir")
}

// startOptions checks the start flags and turns them into tui.Start.
func startOptions() (tui.Start, error) {
	var st tui.Start
	if tuiFlags.view != "" {
		v, err := tui.ParseView(tuiFlags.view)
		if err != nil {
			return st, usagef("--view %w", err)
		}
		st.View, st.HasView = v, true
	}
	if tuiFlags.sel != "" {
		t, err := tui.ParseSelect(tuiFlags.sel)
		if err != nil {
			return st, usagef("--select %w", err)
		}
		if st.HasView && t.ViewOf() != st.View {
			return st, usagef("--select %s is shown in the %s view, not in --view %s: drop --view, or give it %s",
				tuiFlags.sel, t.ViewOf(), tuiFlags.view, viewFlagName(t.ViewOf()))
		}
		st.Select = t
	}
	st.Filter = tuiFlags.filter
	if d := tuiFlags.exportDir; d != "" {
		fi, err := os.Stat(d)
		if err != nil {
			return st, usagef("--export-dir %w", err)
		}
		if !fi.IsDir() {
			return st, usagef("--export-dir %s: not a directory", d)
		}
	}
	return st, nil
}

// viewFlagName is the --view value of a view.
func viewFlagName(v tui.ViewID) string {
	switch v {
	case tui.NamespacesView:
		return "ns"
	case tui.CgroupsView:
		return "cg"
	}
	return "ps"
}
