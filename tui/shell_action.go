package tui

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/tui/dialog"
)

// The x action: a shell (or any command) inside a process's namespaces.
// The checklist shows what "nscope enter" would join by default; the TUI
// suspends with tea.Exec while the shell runs and comes back where it was.

// shellAction is the x action.
func shellAction() Action {
	return Action{
		Key:           key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "shell in its namespaces")),
		Applies:       func(sel Selection) bool { return sel.Process != nil && !sel.Process.Kernel },
		NotApplicable: "x opens a shell inside a process's namespaces: select a process (not a kernel thread)",
		Mutates:       true,
		Run:           runShellAction,
	}
}

func runShellAction(env ActionEnv) (dialog.Dialog, tea.Cmd) {
	p := env.Selection.Process
	if uid := env.host.euid(); uid != 0 {
		return startRefusal(env.Styles, "enter the namespaces of "+procLabel(p),
			fmt.Sprintf("nscope is not running as root (euid %d): joining another process's namespaces needs CAP_SYS_ADMIN (and CAP_SYS_PTRACE to pin it).", uid)), nil
	}
	d := &shellDialog{st: env.Styles, pid: p.PID, label: procLabel(p), en: env.host.enterer(), exec: env.host.exec}
	if snap := env.Selection.Snapshot; snap != nil {
		d.container = control.EnterContainerOf(snap.ContainerOf(p.PID))
	}
	return d, d.plan(control.EnterRequest{PID: p.PID, StartedAt: p.StartTime, Shell: os.Getenv("SHELL"), Container: d.container})
}

// procLabel names a process for titles: "PID 812 (nginx)".
func procLabel(p *inspect.Process) string { return fmt.Sprintf("PID %d (%s)", p.PID, sanitize(p.Comm)) }

// startRefusal explains why nothing is started.
func startRefusal(st *Styles, what, why string) dialog.Dialog {
	return &dialog.Text{
		Title:       "Cannot " + what,
		Paragraphs:  []string{why, "Nothing was started."},
		Footer:      "esc or enter closes",
		TitleStyle:  st.of(roleError).Render,
		FooterStyle: st.of(roleDim).Render,
	}
}

// shellPlannedMsg carries a plan to the dialog: the default one (seq 0)
// or the one for the current choices (seq the dialog's latest).
type shellPlannedMsg struct {
	pid  int
	seq  int
	plan *control.EnterPlan
	err  error
}

// shellReadyMsg carries the built command to the dialog.
type shellReadyMsg struct {
	pid int
	cmd *control.EnterCmd
	err error
}

// shellDialog is the checklist: one line per namespace type, then the
// host-tools preset and, for a container, the privileged choice; below,
// item by item, what the command takes from the target for the current
// choices (each cgroup hierarchy joined, the user, capabilities, seccomp,
// label, environment) and the warnings. enter builds the command and hands
// it to tea.Exec.
type shellDialog struct {
	st        *Styles
	pid       int
	label     string
	en        Enterer
	exec      func(tea.ExecCommand, tea.ExecCallback) tea.Cmd
	container *control.EnterContainer

	plan0      *control.EnterPlan // the default plan
	cur        *control.EnterPlan // the plan for the current choices
	curErr     error
	seq        int
	err        error
	busy       string
	ticked     map[inspect.NSType]bool
	hostTools  bool
	privileged bool
	cursor     int // 0..NumNSTypes-1 the types, then the presets
	nudge      string
}

// plan reads the target in a command: the default plan.
func (d *shellDialog) plan(req control.EnterRequest) tea.Cmd {
	d.busy = "reading the target's namespaces…"
	en, pid := d.en, d.pid
	return func() tea.Msg {
		plan, err := en.Plan(req)
		return shellPlannedMsg{pid: pid, plan: plan, err: err}
	}
}

// replan plans the current choices, so that what is taken is shown for
// them; only the latest answer is kept.
func (d *shellDialog) replan() tea.Cmd {
	d.seq++
	req, seq, en, pid := d.request(), d.seq, d.en, d.pid
	d.cur, d.curErr = nil, nil
	return func() tea.Msg {
		plan, err := en.Plan(req)
		return shellPlannedMsg{pid: pid, seq: seq, plan: plan, err: err}
	}
}

// presets are the choices after the namespace types: host tools, and
// privileged for a container.
func (d *shellDialog) presets() int {
	if d.container != nil {
		return 2
	}
	return 1
}

// request turns the ticks into an EnterRequest: the default (nil NS, so
// the cgroups are joined too) when they are the default plan's.
func (d *shellDialog) request() control.EnterRequest {
	req := control.EnterRequest{PID: d.pid, StartTicks: d.plan0.StartTicks, Shell: os.Getenv("SHELL"), HostTools: d.hostTools,
		Privileged: d.privileged, Container: d.container}
	var picked []inspect.NSType
	for _, t := range inspect.AllNSTypes {
		if d.ticked[t] {
			picked = append(picked, t)
		}
	}
	def := slices.DeleteFunc(slices.Clone(d.plan0.Join), func(t inspect.NSType) bool { return d.hostTools && t == inspect.MntNS })
	if !slices.Equal(picked, def) {
		req.NS = picked
	}
	return req
}

// Update handles the checklist keys and the command results.
func (d *shellDialog) Update(msg tea.Msg) (dialog.Dialog, tea.Cmd) {
	switch msg := msg.(type) {
	case shellPlannedMsg:
		if msg.pid != d.pid {
			return d, nil
		}
		if msg.seq != 0 {
			if msg.seq == d.seq {
				d.cur, d.curErr = msg.plan, msg.err
			}
			return d, nil
		}
		d.busy = ""
		d.plan0, d.err = msg.plan, msg.err
		d.cur = msg.plan
		if d.plan0 != nil {
			d.ticked = map[inspect.NSType]bool{}
			for _, t := range d.plan0.Join {
				d.ticked[t] = true
			}
		}
	case shellReadyMsg:
		if msg.pid != d.pid {
			return d, nil
		}
		d.busy = ""
		if msg.err != nil {
			d.err = msg.err
			return d, nil
		}
		pid, label := d.pid, d.label
		return d, tea.Batch(dialog.Close, d.exec(msg.cmd, func(err error) tea.Msg {
			return shellEnded(pid, label, msg.cmd.Plan.Command, err)
		}))
	case tea.KeyPressMsg:
		return d.onKey(msg)
	}
	return d, nil
}

func (d *shellDialog) onKey(msg tea.KeyPressMsg) (dialog.Dialog, tea.Cmd) {
	k := msg.String()
	if k == "esc" || k == "q" || k == "ctrl+c" {
		return d, dialog.Close
	}
	if d.plan0 == nil || d.busy != "" {
		return d, nil
	}
	d.nudge = ""
	switch k {
	case "up", "k":
		d.cursor = max(0, d.cursor-1)
	case "down", "j":
		d.cursor = min(int(inspect.NumNSTypes)+d.presets()-1, d.cursor+1)
	case "space", " ", "x":
		if d.toggle() {
			return d, d.replan()
		}
	case "enter":
		req := d.request()
		if len(req.NS) == 0 && (req.NS != nil || len(d.plan0.Join) == 0) {
			d.nudge = "tick at least one namespace that differs from nscope's"
			return d, nil
		}
		d.busy = "preparing the shell…"
		d.err = nil
		en, pid := d.en, d.pid
		return d, func() tea.Msg {
			cmd, err := en.Enter(req)
			return shellReadyMsg{pid: pid, cmd: cmd, err: err}
		}
	}
	return d, nil
}

// toggle flips the item under the cursor and reports whether the choices
// changed. Types we already share cannot be ticked: joining them changes
// nothing.
func (d *shellDialog) toggle() bool {
	switch d.cursor {
	case int(inspect.NumNSTypes):
		d.hostTools = !d.hostTools
		if d.hostTools {
			d.ticked[inspect.MntNS] = false
		} else if slices.Contains(d.plan0.Join, inspect.MntNS) {
			d.ticked[inspect.MntNS] = true
		}
		return true
	case int(inspect.NumNSTypes) + 1:
		d.privileged = !d.privileged
		return true
	}
	t := inspect.AllNSTypes[d.cursor]
	if slices.Contains(d.plan0.Shared, t) {
		d.nudge = fmt.Sprintf("nscope already shares the %s namespace with %s", t, d.label)
		return false
	}
	if !slices.Contains(d.plan0.Join, t) {
		d.nudge = fmt.Sprintf("the %s namespace of %s is not readable", t, d.label)
		return false
	}
	d.ticked[t] = !d.ticked[t]
	if t == inspect.MntNS && d.ticked[t] {
		d.hostTools = false
	}
	return true
}

// View draws the checklist.
func (d *shellDialog) View(width, height int) string {
	st := d.st
	var b []string
	title := "Shell in the namespaces of " + d.label
	if d.container != nil {
		title += " — " + sanitize(d.container.String())
	}
	b = append(b, st.of(roleTitle).Render(title))
	switch {
	case d.err != nil:
		b = append(b, "", st.of(roleError).Render(wrapText(sanitize(d.err.Error()), width)), "", st.of(roleDim).Render("esc closes"))
		return strings.Join(b, "\n")
	case d.plan0 == nil:
		b = append(b, "", st.of(roleDim).Render(d.busy))
		return strings.Join(b, "\n")
	}
	b = append(b, st.of(roleDim).Render("the target is pinned by a pidfd and its start time: a reused PID is refused"), "")
	for i, t := range inspect.AllNSTypes {
		mark, note := "[ ]", ""
		switch {
		case slices.Contains(d.plan0.Shared, t):
			mark, note = " - ", "shared with nscope already"
		case !slices.Contains(d.plan0.Join, t):
			mark, note = " ? ", "not readable"
		case d.ticked[t]:
			mark = "[x]"
		}
		if t == inspect.MntNS && d.hostTools {
			note = "kept: host tools"
		}
		line := fmt.Sprintf("%s %s %-7s %s", cursorMark(i == d.cursor), mark, t, note)
		b = append(b, st.of(nsRole(t)).Render(line))
	}
	hostMark := "[ ]"
	if d.hostTools {
		hostMark = "[x]"
	}
	b = append(b, fmt.Sprintf("%s %s host tools: the host's files and tools, with a fresh /proc of the target's pid namespace and its network",
		cursorMark(d.cursor == int(inspect.NumNSTypes)), hostMark))
	if d.container != nil {
		mark := "[ ]"
		if d.privileged {
			mark = "[x]"
		}
		b = append(b, fmt.Sprintf("%s %s privileged: nscope's full root instead of the container's identity (as docker exec --privileged)",
			cursorMark(d.cursor == int(inspect.NumNSTypes)+1), mark))
	}
	b = append(b, "")
	root := "nscope's"
	if d.plan0.Root && d.ticked[inspect.MntNS] {
		root = "the target's"
	}
	b = append(b, st.of(roleLabel).Render("root, cwd ")+root)
	b = append(b, d.takenLines()...)
	cmd := sanitize(joinArgs(d.plan0.Command))
	if len(d.plan0.ShellTried) > 0 {
		cmd += st.of(roleDim).Render("  (found inside the target; tried " + strings.Join(d.plan0.ShellTried, ", ") + ")")
	}
	b = append(b, st.of(roleLabel).Render("command   ")+cmd)
	if d.busy != "" {
		b = append(b, "", st.of(roleDim).Render(d.busy))
	}
	if d.nudge != "" {
		b = append(b, "", st.of(roleWarn).Render(d.nudge))
	}
	b = append(b, "", st.of(roleDim).Render("↑/↓ choose · space ticks · enter opens the shell (nscope comes back when it exits) · esc cancels"))
	return fitLines(strings.Join(b, "\n"), width, height)
}

// takenLines shows, item by item, what the command takes from the
// target for the current choices: each cgroup hierarchy (and whether its
// limits apply), the identity, the warnings.
func (d *shellDialog) takenLines() []string {
	st := d.st
	switch {
	case d.curErr != nil:
		return []string{st.of(roleError).Render(sanitize(d.curErr.Error()))}
	case d.cur == nil:
		return []string{st.of(roleDim).Render("working out what these choices take from the target…")}
	}
	var out []string
	for _, it := range d.cur.Items() {
		role := roleLabel
		if it.Warn {
			role = roleWarn
		}
		out = append(out, st.of(role).Render(fmt.Sprintf("%-14s", sanitize(it.Label)))+" "+sanitize(it.Value))
	}
	return out
}

// shellEnded is the status-line message after the shell exits.
func shellEnded(pid int, label string, command []string, err error) tea.Msg {
	what := fmt.Sprintf("%s in the namespaces of %s", joinArgs(command), label)
	var ee *control.ExitError
	var enterErr *control.EnterError
	switch {
	case err == nil:
		return FlashMsg{Text: what + " exited with status 0"}
	case errors.As(err, &enterErr):
		return FlashMsg{Text: "could not enter: " + err.Error(), Err: true}
	case errors.As(err, &ee):
		return FlashMsg{Text: what + ": " + ee.Error(), Err: ee.Code != 0 || ee.Signal != 0}
	}
	return FlashMsg{Text: what + ": " + err.Error(), Err: true}
}

// cursorMark is the pointer in front of the focused line.
func cursorMark(on bool) string {
	if on {
		return "▸"
	}
	return " "
}

// joinArgs renders an argument vector for reading.
func joinArgs(args []string) string { return strings.Join(args, " ") }

// wrapText wraps plain text to width.
func wrapText(s string, width int) string { return ansi.Wordwrap(s, max(20, width), "") }

// fitLines wraps every line of s to width and keeps what fits in height,
// ending with the last line (the key hints) when it has to cut.
func fitLines(s string, width, height int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.Split(ansi.Wordwrap(l, max(20, width), ""), "\n")...)
	}
	if height > 0 && len(out) > height {
		out = append(out[:height-1], out[len(out)-1])
	}
	return strings.Join(out, "\n")
}
