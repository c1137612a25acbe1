package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// editFlags are the flags every editing command shares.
type editFlags struct {
	dryRun bool
	yes    bool
	json   bool
}

func (f *editFlags) add(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "print the exact file writes and change nothing")
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation ("+what+"); needed when stdin is not a terminal")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the result as JSON")
}

// editorHooks let tests swap the kernel for a fake cgroupfs and the
// terminal for a scripted one.
var editorHooks struct {
	layout   func() (inspect.CgroupLayout, error)
	options  []control.Option
	terminal func() bool
}

// newEditor returns an Editor for the host, read-only when --read-only is
// set (root-ness is checked by the Editor itself).
func newEditor() (*control.Editor, error) {
	var layout inspect.CgroupLayout
	var err error
	if editorHooks.layout != nil {
		layout, err = editorHooks.layout()
	} else {
		layout, err = inspect.DetectCgroupLayout(global.procRoot, global.sysRoot)
	}
	if err != nil {
		return nil, err
	}
	if layout.Mode == inspect.CgroupNone {
		return nil, errors.New("no cgroup filesystem is mounted on this host")
	}
	// Who owns a cgroup (a container runtime, systemd) comes from a scan,
	// made when a plan first asks.
	opts := append([]control.Option{control.WithOwners(&scanOwnerFinder{})}, editorHooks.options...)
	if global.readOnly {
		opts = append(opts, control.ReadOnly("--read-only is set"))
	}
	return control.New(layout, opts...), nil
}

func newSetCmd() *cobra.Command {
	var (
		ef                          editFlags
		cpu, memory, pids, weight   string
		memoryHigh, memoryLow, ioLn string
	)
	cmd := &cobra.Command{
		Use:   "set CGROUP [--cpu N] [--memory M] [--pids N] [FILE=VALUE ...]",
		Short: "Change a cgroup's CPU, memory, pids or io limits",
		Long: `Change a cgroup's limits: friendly flags, or raw FILE=VALUE assignments.

CGROUP is a path as "nscope cg" prints it (/system.slice/x.service), or a
directory under a cgroup mount (/sys/fs/cgroup/memory/x). On cgroup v1 and
hybrid hosts a path goes to the hierarchy carrying each limit's
controller, at that path; a directory takes only the limits of its own
hierarchy's controllers (--memory on /sys/fs/cgroup/pids/x is refused and
the refusal names /sys/fs/cgroup/memory/x), and must exist.

  --cpu      CPUs ("0.5"), percent of one CPU ("50%"), "max", or "QUOTA PERIOD" in µs
  --memory   hard limit: bytes or K/M/G/T ("512M", powers of 1024) or "max"
  --pids     processes and threads, 0-4194304, or "max"
  --weight   relative CPU weight 1-10000 (cpu.weight; cpu.shares on v1)

Raw files: cgroup v2 ` + strings.Join(control.V2Files, ", ") + `;
cgroup v1 ` + strings.Join(control.V1Files, ", ") + `.
Values are in the file's own format or the friendly one.

Everything is validated before anything is written; --dry-run prints the
exact writes. After writing, each file is read back and shown old -> new.
Every write is journaled (see "nscope history"; "nscope undo" reverts).
The root, top-level and systemd-managed cgroups ask for confirmation.`,
		Example: `  nscope set /app --cpu 0.5 --memory 512M --pids 100
  nscope set /app cpu.max="50000 100000" --dry-run
  nscope set /sys/fs/cgroup/memory/app memory.limit_in_bytes=1G --yes`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			limits, err := control.ParseLimits(cpu, memory, pids)
			if err != nil {
				return usagef("%v", err)
			}
			if err := setOptionalLimits(&limits, weight, memoryHigh, memoryLow, ioLn); err != nil {
				return err
			}
			for _, a := range args[1:] {
				file, value, ok := strings.Cut(a, "=")
				if !ok {
					return usagef("%q: want FILE=VALUE, e.g. cpu.max=\"50000 100000\"", a)
				}
				if err := limits.SetFile(strings.TrimSpace(file), value); err != nil {
					return usagef("%v", err)
				}
			}
			if limits.IsEmpty() {
				return usagef("nothing to set: give --cpu, --memory, --pids, --weight or FILE=VALUE")
			}
			return runSet(cmd, args[0], limits, ef)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cpu, "cpu", "", `CPU limit: CPUs ("0.5"), percent ("50%"), "max" or "QUOTA PERIOD"`)
	f.StringVar(&memory, "memory", "", `memory hard limit ("512M", "1.5G", "max")`)
	f.StringVar(&pids, "pids", "", `process limit ("100", "max")`)
	f.StringVar(&weight, "weight", "", "CPU weight 1-10000 (cpu.weight; cpu.shares on v1)")
	f.StringVar(&memoryHigh, "memory-high", "", "v2 memory.high: throttle above this")
	f.StringVar(&memoryLow, "memory-low", "", "v2 memory.low: protect this much")
	f.StringVar(&ioLn, "io", "", `v2 io.max line: "MAJ:MIN rbps=10M wiops=100"`)
	ef.add(cmd, "root, top-level and systemd cgroups")
	return cmd
}

// setOptionalLimits adds the less common flags to limits.
func setOptionalLimits(l *control.Limits, weight, high, low, io string) error {
	for _, fv := range []struct{ flag, file, value string }{
		{"--weight", "cpu.weight", weight}, {"--memory-high", "memory.high", high},
		{"--memory-low", "memory.low", low}, {"--io", "io.max", io},
	} {
		if fv.value == "" {
			continue
		}
		if fv.file == "cpu.weight" {
			w, err := control.ParseCPUWeight(fv.value)
			if err != nil {
				return usagef("--weight: %v", err)
			}
			l.CPUWeight = &w
			continue
		}
		if err := l.SetFile(fv.file, fv.value); err != nil {
			return usagef("%s: %v", fv.flag, err)
		}
	}
	return nil
}

// runSet plans, confirms, applies and prints one limit change.
func runSet(cmd *cobra.Command, cgroup string, limits control.Limits, ef editFlags) error {
	ed, err := newEditor()
	if err != nil {
		return err
	}
	target, err := resolveCgroupArg(cmd, ed, cgroup)
	if err != nil {
		return usagef("%v", err)
	}
	plan, err := ed.Plan(target, limits)
	if err != nil {
		return editError(err)
	}
	out := cmd.OutOrStdout()
	if ef.dryRun {
		if ef.json {
			return writeJSON(out, plan)
		}
		printPlan(out, plan)
		return nil
	}
	if err := refuseReadOnly(ed, "change limits"); err != nil {
		return err
	}
	if len(plan.Writes) == 0 {
		if ef.json {
			return writeJSON(out, setOutput{Plan: plan})
		}
		printPlan(out, plan)
		return nil
	}
	if err := confirm(cmd, ef, plan.Confirm, func(w io.Writer) { printPlan(w, plan) }); err != nil {
		return err
	}
	res, applyErr := ed.Apply(cmd.Context(), plan)
	if ef.json {
		if err := writeJSON(out, setOutput{Plan: plan, Result: res, Error: errText(applyErr)}); err != nil {
			return err
		}
	} else if res != nil {
		printResult(out, plan, res)
	}
	return editError(applyErr)
}

// setOutput is "nscope set --json" output.
type setOutput struct {
	Plan   *control.Plan   `json:"plan"`
	Result *control.Result `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// editError maps control's refusals to exit codes: bad input is a usage
// error (2), the rest runtime failures (1).
func editError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, control.ErrInvalidValue) || errors.Is(err, control.ErrNotAllowed) {
		return usagef("%v", err)
	}
	return err
}

// refuseReadOnly explains why an edit is not attempted.
func refuseReadOnly(ed *control.Editor, what string) error {
	if reason := ed.ReadOnlyReason(); reason != "" {
		return fmt.Errorf("refusing to %s: %s; nothing was written (--dry-run shows what would be): %w", what, reason, control.ErrReadOnly)
	}
	return nil
}

// confirm asks before a risky edit: reasons are printed with the preview
// and a y/N question on a terminal; without one, --yes is required.
func confirm(cmd *cobra.Command, ef editFlags, reasons []string, preview func(io.Writer)) error {
	if len(reasons) == 0 || ef.yes {
		return nil
	}
	errOut := cmd.ErrOrStderr()
	if !stdinIsTerminal(cmd) {
		return usagef("this needs confirmation (%s), and stdin is not a terminal so nscope cannot ask; add --yes to go ahead", strings.Join(reasons, "; "))
	}
	preview(errOut)
	for _, r := range reasons {
		msgf(errOut, "warning: %s\n", r)
	}
	fmt.Fprint(errOut, "Go ahead? [y/N] ")
	line, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return &exitCodeError{code: exitFailure, msg: "not confirmed; nothing was changed"}
}

// stdinIsTerminal reports whether nscope can ask a question.
func stdinIsTerminal(cmd *cobra.Command) bool {
	if editorHooks.terminal != nil {
		return editorHooks.terminal()
	}
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// printPlan prints the writes a plan would make.
func printPlan(w io.Writer, p *control.Plan) {
	msgf(w, "%s %s:\n", p.Action, p.Target)
	for _, wr := range p.Writes {
		// %q already escapes what it quotes.
		msgf(w, "  would write %s to %s\n", strconv.Quote(wr.New), wr.Path())
		msgf(w, "      %s → %s\n", describeValue(wr.File, wr.Old), describeValue(wr.File, wr.New))
	}
	for _, wr := range p.Unchanged {
		msgf(w, "  %s already %s\n", wr.Path(), describeValue(wr.File, wr.Old))
	}
	for _, n := range p.Notes {
		msgf(w, "  note: %s\n", n)
	}
	printOwner(w, p.Owner)
	for _, c := range p.Confirm {
		msgf(w, "  needs confirmation: %s\n", c)
	}
}

// printResult prints what Apply did: old → new as read back.
func printResult(w io.Writer, p *control.Plan, res *control.Result) {
	msgf(w, "%s %s:\n", res.Action, p.Target)
	for _, wr := range res.Writes {
		switch {
		case wr.Skipped:
			msgf(w, "  %s: not written (an earlier write failed)\n", wr.Path())
		case wr.Err != nil && !wr.Done:
			msgf(w, "  %s: failed, still %s\n", wr.Path(), describeValue(wr.File, wr.Before))
		case wr.RolledBack:
			msgf(w, "  %s: written, then rolled back to %s\n", wr.Path(), describeValue(wr.File, wr.Before))
		default:
			msgf(w, "  %s: %s → %s\n", wr.Path(), describeValue(wr.File, wr.Before), describeValue(wr.File, wr.After))
		}
	}
	for _, wr := range p.Unchanged {
		msgf(w, "  %s: already %s\n", wr.Path(), describeValue(wr.File, wr.Old))
	}
	for _, n := range p.Notes {
		msgf(w, "  note: %s\n", n)
	}
	printOwner(w, p.Owner)
	if res.Err() == nil && len(res.Writes) > 0 {
		if res.Action == "undo" {
			msgf(w, "journaled as %s; run \"nscope undo\" again to go further back\n", res.Change)
		} else {
			msgf(w, "journaled as %s; undo with: nscope undo %s\n", res.Change, p.Target.Path)
		}
	}
}

// describeValue shows a file's raw value with its meaning:
// `50000 100000 (50% of 1 CPU)`, `536870912 (512 MiB)`.
func describeValue(file, v string) string {
	if v == "" {
		return `""`
	}
	meaning := ""
	switch file {
	case "cpu.max":
		if q, p, err := inspect.ParseCPUMax([]byte(v)); err == nil {
			meaning = procview.FormatCPUQuota(q, p)
		}
	case "memory.max", "memory.high", "memory.low", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes":
		if n, err := inspect.ParseLimitValue([]byte(v)); err == nil {
			meaning = procview.FormatBytes(n)
			if n == inspect.Unlimited {
				meaning = "unlimited"
			}
		}
	case "cpu.cfs_quota_us":
		if v == "-1" {
			meaning = "unlimited"
		}
	}
	if meaning == "" || meaning == v {
		return v
	}
	return v + " (" + meaning + ")"
}
