package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/events"
	"github.com/nscope/nscope/internal/termtext"
)

// eventKinds lists the kinds --kind accepts, in help order.
var eventKinds = []events.Kind{
	events.Fork, events.Exec, events.Exit, events.Comm, events.UID, events.Move,
	events.NSNew, events.NSGone,
	events.CgroupNew, events.CgroupGone, events.Populated, events.Empty, events.Frozen, events.Thawed,
	events.OOM, events.OOMKill, events.MemoryHigh, events.MemoryMax,
	events.Limit, events.Lost, events.Warning,
}

func newEventsCmd() *cobra.Command {
	var (
		asJSON    bool
		cgroup    string
		container string
		kinds     []string
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Stream process, namespace, cgroup, OOM and limit-change events as they happen",
		Long: `events prints what happens on the host, one line per event, as it happens
(like "docker events"), until interrupted:

  processes    fork, exec, exit, comm (renamed), uid (user IDs changed),
               move (moved to another cgroup)
  namespaces   ns-new (seen for the first time), ns-gone (last member gone,
               nothing holds it)
  cgroups      cgroup-new, cgroup-gone, populated, empty, frozen, thawed,
               oom, oom-kill, memory-high, memory-max
  nscope       limit (a change nscope made, from its journal)
  the stream   lost (events dropped: the host outran the reader; state
               was rescanned), warning (a source is unavailable)

Process events come from BPF tracepoints and need root and a kernel with
BTF; cgroup events come from inotify (cgroup v2 cgroup.events and
memory.events), eventfd (v1 memory OOM) and polling (v1 freezer.state,
which has no notification). Which sources run is printed to stderr at the
start. Names, paths and arguments are escaped for the terminal; --json
prints one JSON object per line (terminal controls as \u escapes).`,
		Example: `  sudo nscope events
  sudo nscope events --cgroup /docker --kind oom,oom-kill,exit
  sudo nscope events --container web --kind exec,exit,oom-kill
  sudo nscope events --json | jq -c 'select(.kind == "exec") | .args'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := events.Filter{}
			if cmd.Flags().Changed("cgroup") {
				if err := events.ValidCgroupFilter(cgroup); err != nil {
					return usagef("--cgroup: %v", err)
				}
				if err := cgroupExists(cgroup); err != nil {
					return usagef("--cgroup: %v", err)
				}
				f.Cgroup = cgroup
			}
			if cmd.Flags().Changed("container") {
				if f.Cgroup != "" {
					return usagef("--container and --cgroup exclude each other: a container's events are those of its cgroup")
				}
				var err error
				if f.Cgroup, err = containerCgroupFlag(cmd, container); err != nil {
					return err
				}
			}
			for _, k := range kinds {
				k = strings.TrimSpace(k)
				if !slices.Contains(eventKinds, events.Kind(k)) {
					return usagef("--kind %q: want one or more of %s", k, kindList())
				}
				f.Kinds = append(f.Kinds, events.Kind(k))
			}
			return runEvents(cmd, f, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per event and line")
	cmd.Flags().StringVar(&cgroup, "cgroup", "", "only events of this cgroup and those beneath it (a path inside the hierarchy, e.g. /docker), and of their processes")
	cmd.Flags().StringVar(&container, "container", "", "only events of this container's cgroup (NAME, ID prefix, RUNTIME:NAME, pod/NAMESPACE/POD[/CONTAINER]; a pod is the pod's cgroup) and of its processes")
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "only these kinds of events (comma-separated: "+kindList()+")")
	return cmd
}

func kindList() string {
	s := make([]string, len(eventKinds))
	for i, k := range eventKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// runEvents streams events until interrupted or until standard output
// goes away.
func runEvents(cmd *cobra.Command, f events.Filter, asJSON bool) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	journal := control.NewJournal(control.DefaultStateDir())
	// The runtimes' files are those of the host the /proc is: a
	// fixture's sit beside its proc/.
	root := "/"
	if filepath.Clean(global.procRoot) != "/proc" {
		root = filepath.Dir(filepath.Clean(global.procRoot))
	}
	namer := newEventNamer(root, time.Now)
	defer namer.close()
	opts := []events.Option{
		events.ProcRoot(global.procRoot),
		events.SysRoot(global.sysRoot),
		events.WithContainerNamer(namer.name),
		events.WithJournal(journal.Path(), journalChanges(journal)),
	}
	if f.Cgroup != "" {
		opts = append(opts, events.CgroupRoot(f.Cgroup))
	}
	stream, err := events.Open(ctx, opts...)
	if err != nil {
		return err
	}
	defer stream.Close()
	sub := stream.Subscribe(f, 0)
	defer sub.Close()
	stderr := cmd.ErrOrStderr()
	printSources(stderr, stream.Sources())

	out := cmd.OutOrStdout()
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub.Events():
			if !ok {
				return nil
			}
			var err error
			switch {
			case asJSON:
				line.Reset()
				if err = enc.Encode(&ev); err == nil {
					_, err = out.Write(termtext.EscapeJSON(line.Bytes()))
				}
			case ev.Kind == events.Warning:
				fmt.Fprintln(stderr, "nscope: warning:", termtext.Escape(ev.Detail))
			default:
				_, err = io.WriteString(out, formatEvent(&ev)+"\n")
			}
			if errors.Is(err, syscall.EPIPE) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("write event: %w", err)
			}
		}
	}
}

// cgroupExists checks that a cgroup path names a cgroup in at least one
// hierarchy: only an existing subtree is watched.
func cgroupExists(path string) error {
	layout, err := inspect.DetectCgroupLayout(global.procRoot, global.sysRoot)
	if err != nil {
		return err
	}
	for _, h := range layout.Hierarchies {
		if fi, err := os.Stat(filepath.Join(h.Mount, path)); err == nil && fi.IsDir() {
			return nil
		}
	}
	return fmt.Errorf("no cgroup %s in any hierarchy (a path as \"nscope cg\" prints it, e.g. /docker/ID)", termValue(path))
}

// printSources says on stderr what is watched and how; a script waits
// for this line to know the stream is live.
func printSources(w io.Writer, srcs []events.SourceStatus) {
	var on, off []string
	for _, s := range srcs {
		if s.Running {
			on = append(on, s.Name)
		} else {
			off = append(off, s.Name)
		}
	}
	msg := "nscope: watching " + strings.Join(on, ", ")
	if len(on) == 0 {
		msg = "nscope: watching nothing"
	}
	if len(off) > 0 {
		msg += "; not watching " + strings.Join(off, ", ") + " (see the warnings)"
	}
	fmt.Fprintln(w, msg)
}

// journalChanges reads the journal's finished changes through control's
// reader, for the events stream.
func journalChanges(j *control.Journal) func() ([]events.LimitChange, error) {
	return func() ([]events.LimitChange, error) {
		entries, _, err := j.Entries()
		if err != nil {
			return nil, err
		}
		var out []events.LimitChange
		for _, e := range entries {
			if e.Phase != control.PhaseAfter {
				continue
			}
			result := e.Result
			if e.ReadBack != "" && e.ReadBack != e.New {
				result += ", read back " + e.ReadBack
			}
			out = append(out, events.LimitChange{Time: e.Time, Action: e.Action, Cgroup: e.Cgroup,
				Hierarchy: e.Hierarchy, File: e.File, Old: e.Old, New: e.New, Result: result, PID: e.PID})
		}
		return out, nil
	}
}

// formatEvent renders one event as a line: time, kind, then key=value
// pairs, every host string escaped for the terminal.
func formatEvent(ev *events.Event) string {
	var b strings.Builder
	b.WriteString(ev.Time.Format("2006-01-02T15:04:05.000000Z07:00"))
	b.WriteByte(' ')
	fmt.Fprintf(&b, "%-11s", ev.Kind)
	kv := func(k, v string) {
		if v == "" {
			return
		}
		b.WriteByte(' ')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(termValue(v))
	}
	num := func(k string, v int) {
		if v != 0 {
			kv(k, fmt.Sprint(v))
		}
	}
	num("pid", ev.PID)
	num("ppid", ev.PPID)
	num("inner_pid", ev.InnerPID)
	kv("comm", ev.Comm)
	if ev.Kind == events.Fork || ev.Kind == events.Exec {
		if ev.UID != nil && ev.EUID != nil {
			kv("uid", fmt.Sprintf("%d/%d", *ev.UID, *ev.EUID))
		}
	}
	if ev.Namespace != nil {
		kv("ns", ev.Namespace.Type.String())
		kv("id", ev.Namespace.ID.String())
		kv("held", strings.Join(ev.Namespace.Holders, ", "))
	}
	kv("cgroup", ev.Cgroup)
	kv("hierarchy", ev.Hierarchy)
	kv("container", ev.Container)
	kv("file", ev.File)
	if ev.Old != "" || ev.New != "" {
		kv("change", ev.Old+" -> "+ev.New)
	}
	if ev.Kind == events.Exec {
		kv("filename", ev.Filename)
		args := make([]string, len(ev.Args))
		for i, a := range ev.Args {
			args[i] = termValue(a)
		}
		if len(args) > 0 {
			b.WriteString(" args=[" + strings.Join(args, " "))
			if ev.ArgsTruncated {
				b.WriteString(" …")
			}
			b.WriteByte(']')
		}
	}
	if ev.ExitCode != nil {
		kv("code", fmt.Sprint(*ev.ExitCode))
	}
	if ev.Signal != 0 {
		kv("signal", signalName(ev.Signal))
	}
	if ev.Core {
		kv("core", "dumped")
	}
	if ev.Count != 0 {
		kv("count", fmt.Sprint(ev.Count))
	}
	kv("detail", ev.Detail)
	return b.String()
}

// signalName returns "SIGKILL" for 9.
func signalName(sig int) string {
	if name := unix.SignalName(syscall.Signal(sig)); name != "" {
		return name
	}
	return fmt.Sprint(sig)
}

// termValue returns a host string as a key=value value: escaped for the
// terminal (termtext.Escape), and quoted when it is empty or holds a
// space, a quote or '=', so that the pairs stay apart.
func termValue(s string) string {
	v := termtext.Escape(s)
	if v != "" && !strings.ContainsAny(v, " \"=") {
		return v
	}
	return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
}
