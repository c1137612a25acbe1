package main

import (
	"bufio"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/internal/termtext"
)

func newSnapshotCmd() *cobra.Command {
	var out, at, from string
	var pretty, asJSON bool
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Print every namespace, process and cgroup as one JSON document",
		Long: `snapshot scans the host once and prints the whole picture as JSON: host
facts, the cgroup mode and hierarchies, every process (with its NSpid chain,
namespaces and cgroups), every namespace (with members, holders, parent and
owner) and every cgroup (with limits, usage and members).

The document carries "schema_version"; "nscope --load FILE" opens a saved
snapshot in the TUI. The format is described in README.md.

With --at TIME --from DIR it prints the host as a recording made by
"nscope record DIR" saw it at TIME, in the same format.`,
		Example: `  nscope snapshot > host.json
  nscope snapshot --pretty | less
  nscope snapshot | jq '.namespaces[] | select(.type=="net") | .id.ino'
  nscope snapshot --at 03:12 --from /var/lib/nscope/recording`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			// One scan and exit: collecting garbage only costs time unless
			// the heap nears the limit (the live snapshot of a 4,000-process
			// host is about 20 MiB).
			debug.SetGCPercent(-1)
			debug.SetMemoryLimit(48 << 20)
			snap, err := snapshotFrom(cmd.Context(), at, from, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			w := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<16)
			if out != "" && out != "-" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = bufio.NewWriterSize(f, 1<<16)
			}
			write := snap.WriteJSONCompact
			if pretty {
				write = snap.WriteJSON
			}
			// The same values, with DEL, C1 and bidi characters as \u
			// escapes: safe when the JSON goes to a terminal.
			jw := termtext.NewJSONWriter(w)
			if err := write(jw); err != nil {
				return err
			}
			if err := jw.Flush(); err != nil {
				return err
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	cmd.Flags().StringVar(&at, "at", "", "print the host as it was at TIME (RFC 3339, 03:12[:30] today, -5m), from --from")
	cmd.Flags().StringVar(&from, "from", "", "the recording DIR of 'nscope record' that --at reads")
	cmd.Flags().BoolVar(&pretty, "pretty", false, "indent the JSON for reading (slower and several times larger)")
	// ns, ps and cg take --json; snapshot always prints JSON.
	cmd.Flags().BoolVar(&asJSON, "json", false, "accepted for symmetry with ns, ps and cg: snapshot always prints JSON")
	return cmd
}
