package tui

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/tui/dialog"
)

// The n action: launch a command in new namespaces and its own cgroup,
// as "nscope run" does, but in the background: the TUI keeps the
// terminal, the command's output goes to a log file, and the new process
// is selected in the tree. It lives as long as the TUI (see launchedSet);
// x on it opens a shell inside.

// spawnAction is the n action.
func spawnAction() Action {
	return Action{
		Key:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "launch in new namespaces")),
		Mutates: true,
		Run: func(env ActionEnv) (dialog.Dialog, tea.Cmd) {
			if uid := env.host.euid(); uid != 0 {
				return startRefusal(env.Styles, "launch a process",
					fmt.Sprintf("nscope is not running as root (euid %d): creating namespaces and cgroups needs root.", uid)), nil
			}
			return newSpawnForm(env.Styles, env.host.launcher()), nil
		},
	}
}

// Form fields, in order: text inputs, then the namespace checkboxes.
const (
	fCommand = iota
	fHostname
	fCPU
	fMemory
	fPids
	fName
	numTextFields
)

var spawnLabels = [numTextFields]string{"command", "hostname", "CPU", "memory", "pids", "name"}

var spawnHints = [numTextFields]string{
	"split at spaces; quote with ' or \" (it runs without a terminal: x on it opens a shell)",
	"default: the name",
	`"0.5" CPUs, "50%", "max"; empty: no limit`,
	`"256M", "1G", "max"; empty: no limit`,
	`a number or "max"; empty: no limit`,
	"the cgroup's name under /nscope; default nscope-run-PID",
}

// spawnNS are the namespace checkboxes; pid and mnt are always created
// (the init is PID 1 and mounts a fresh /proc), user means --map-root.
var spawnNS = []inspect.NSType{inspect.MntNS, inspect.PIDNS, inspect.NetNS, inspect.IPCNS, inspect.UTSNS, inspect.CgroupNS, inspect.UserNS, inspect.TimeNS}

// spawnStartedMsg carries the result of a launch to the form.
type spawnStartedMsg struct {
	form *spawnForm
	cmd  *control.LaunchCmd
	log  string
	err  error
}

// spawnForm is the launch form.
type spawnForm struct {
	st     *Styles
	l      Launcher
	inputs [numTextFields]lineInput
	ns     map[inspect.NSType]bool
	focus  int
	errMsg string
	busy   bool
}

func newSpawnForm(st *Styles, l Launcher) *spawnForm {
	f := &spawnForm{st: st, l: l, ns: map[inspect.NSType]bool{}}
	f.inputs[fCommand].SetValue("sleep infinity")
	for _, t := range control.DefaultLaunchNS {
		f.ns[t] = true
	}
	return f
}

// request validates the form without I/O and returns the launch request.
func (f *spawnForm) request() (control.LaunchRequest, error) {
	val := func(i int) string { return strings.TrimSpace(f.inputs[i].Value()) }
	argv, err := splitCommand(val(fCommand))
	if err != nil {
		return control.LaunchRequest{}, err
	}
	if len(argv) == 0 {
		return control.LaunchRequest{}, errors.New("command: type the program to run, e.g. sleep infinity")
	}
	if _, err := control.ParseLimits(val(fCPU), val(fMemory), val(fPids)); err != nil {
		return control.LaunchRequest{}, err
	}
	req := control.LaunchRequest{
		Command: argv, Hostname: val(fHostname), Name: val(fName),
		CPU: val(fCPU), Memory: val(fMemory), Pids: val(fPids),
		MapRoot: f.ns[inspect.UserNS],
	}
	for _, t := range spawnNS {
		if f.ns[t] && t != inspect.UserNS {
			req.NS = append(req.NS, t)
		}
	}
	return req, nil
}

// Update handles the form's keys and the launch result.
func (f *spawnForm) Update(msg tea.Msg) (dialog.Dialog, tea.Cmd) {
	switch msg := msg.(type) {
	case spawnStartedMsg:
		if msg.form != f {
			return f, nil
		}
		f.busy = false
		if msg.err != nil {
			f.errMsg = msg.err.Error()
			return f, nil
		}
		return f, tea.Batch(dialog.Close, func() tea.Msg { return launchedMsg{cmd: msg.cmd, log: msg.log} })
	case tea.PasteMsg:
		if f.focus < numTextFields {
			f.inputs[f.focus].Update(msg)
		}
	case tea.KeyPressMsg:
		return f.onKey(msg)
	}
	return f, nil
}

func (f *spawnForm) onKey(msg tea.KeyPressMsg) (dialog.Dialog, tea.Cmd) {
	last := numTextFields + len(spawnNS) - 1
	switch msg.String() {
	case "esc", "ctrl+c":
		return f, dialog.Close
	case "tab", "down":
		f.focus = min(last, f.focus+1)
		return f, nil
	case "shift+tab", "up":
		f.focus = max(0, f.focus-1)
		return f, nil
	case "enter":
		if f.busy {
			return f, nil
		}
		req, err := f.request()
		if err != nil {
			f.errMsg = err.Error()
			return f, nil
		}
		f.errMsg, f.busy = "", true
		return f, f.launch(req)
	}
	if f.focus >= numTextFields {
		if k := msg.String(); k == "space" || k == " " || k == "x" {
			t := spawnNS[f.focus-numTextFields]
			if t == inspect.MntNS || t == inspect.PIDNS {
				f.errMsg = "the pid and mount namespaces are always new: the init is PID 1 and mounts a fresh /proc"
				return f, nil
			}
			f.ns[t] = !f.ns[t]
		}
		return f, nil
	}
	if f.inputs[f.focus].Update(msg) {
		f.errMsg = ""
	}
	return f, nil
}

// launch starts the command in the background, in a command: it creates
// cgroups and may take a moment.
func (f *spawnForm) launch(req control.LaunchRequest) tea.Cmd {
	l := f.l
	return func() tea.Msg {
		lc, err := l.Launch(req)
		if err != nil {
			return spawnStartedMsg{form: f, err: err}
		}
		logf, err := os.CreateTemp("", "nscope-run-*.log")
		if err != nil {
			return spawnStartedMsg{form: f, err: fmt.Errorf("create the output log: %w", err)}
		}
		defer logf.Close() // the command has its own descriptor
		lc.Background = true
		lc.SetStdin(nil)
		lc.SetStdout(logf)
		lc.SetStderr(logf)
		if err := lc.Start(); err != nil {
			os.Remove(logf.Name())
			return spawnStartedMsg{form: f, err: err}
		}
		return spawnStartedMsg{form: f, cmd: lc, log: logf.Name()}
	}
}

// View draws the form.
func (f *spawnForm) View(width, height int) string {
	st := f.st
	b := []string{st.of(roleTitle).Render("Launch a process in new namespaces and its own cgroup"), ""}
	inW := max(10, min(width-14, 60))
	for i := 0; i < numTextFields; i++ {
		label := st.of(roleLabel).Render(fmt.Sprintf("%s %-9s", cursorMark(f.focus == i), spawnLabels[i]))
		text := f.inputs[i].Value()
		if f.focus == i {
			text = f.inputs[i].render(inW, st.of(roleSelected))
		}
		b = append(b, label+text)
		if f.focus == i {
			b = append(b, st.of(roleDim).Render("            "+spawnHints[i]))
		}
	}
	b = append(b, "", st.of(roleLabel).Render("  namespaces"))
	for i, t := range spawnNS {
		mark := "[ ]"
		if f.ns[t] || t == inspect.MntNS || t == inspect.PIDNS {
			mark = "[x]"
		}
		note := ""
		switch t {
		case inspect.MntNS, inspect.PIDNS:
			note = "always"
		case inspect.UserNS:
			note = "root inside is you outside (--map-root)"
		}
		b = append(b, st.of(nsRole(t)).Render(fmt.Sprintf("%s %s %-7s %s", cursorMark(f.focus == numTextFields+i), mark, t, note)))
	}
	b = append(b, "", st.of(roleDim).Render("It runs until it exits or nscope quits (then it is stopped and its cgroup removed)."))
	if f.busy {
		b = append(b, st.of(roleDim).Render("launching…"))
	}
	if f.errMsg != "" {
		b = append(b, st.of(roleError).Render(wrapText(sanitize(f.errMsg), width)))
	}
	b = append(b, "", st.of(roleDim).Render("tab/↑/↓ move · space ticks · enter launches · esc cancels"))
	return fitLines(strings.Join(b, "\n"), width, height)
}

// splitCommand splits a command line at spaces, keeping what is inside
// single or double quotes together (no other shell syntax).
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inArg := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inArg = r, true
		case r == ' ' || r == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("command: the %c quote is not closed", quote)
	}
	if inArg {
		args = append(args, cur.String())
	}
	return slices.Clip(args), nil
}
