package tui

import (
	"context"
	"regexp"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/tui/dialog"
)

// changeFlow describes one change to the dialog that carries it out:
// what is there now, the input (if any), how to plan it and how to apply
// the plan. Planning and applying run in commands, off the UI goroutine.
type changeFlow struct {
	// title names the change and the cgroup: "CPU limit · cgroup /a".
	title string
	// about are lines on what the cgroup has now (limit, usage).
	about []dline
	// prompt, hint and initial describe the text input. validate checks
	// what was typed without any I/O (errors show inline and nothing is
	// written) and returns the planning work. A nil validate means no
	// input: plan starts when the dialog opens.
	prompt, hint, initial string
	validate              func(text string) (planFunc, error)
	plan                  planFunc
	// busy is shown while the plan is applied.
	busy string
	// keepBack returns to the dialog's back dialog (the history pane)
	// instead of closing, when the change is cancelled, done or failed.
	keepBack bool
}

// resumer is a dialog that wants to know when a change dialog opened
// from it returns to it (the history pane reloads the journal).
type resumer interface {
	resume() tea.Cmd
}

// leave closes the dialog: back to the dialog it came from when the flow
// keeps it, else closed; refresh asks for a scan too.
func (d *changeDialog) leave(refresh bool) (dialog.Dialog, tea.Cmd) {
	if d.flow.keepBack && d.back != nil {
		var cmds []tea.Cmd
		if r, ok := d.back.(resumer); ok {
			cmds = append(cmds, r.resume())
		}
		if refresh {
			cmds = append(cmds, RefreshNow)
		}
		return d.back, tea.Batch(cmds...)
	}
	if refresh {
		return d, closeCmd()
	}
	return d, dialog.Close
}

// planFunc reads the current values and returns the preview of a change;
// it runs in a command.
type planFunc func() (*changePreview, error)

// changePreview is a planned change, shown before anything is written.
type changePreview struct {
	// lines are the exact writes (file, old → new) or what will be done.
	lines []dline
	// warnings are the reasons to confirm (root, top-level, systemd,
	// processes stopped or killed).
	warnings []string
	// typeY asks for "y" to be typed rather than enter.
	typeY bool
	// verb says what confirming does: "write", "freeze", "kill".
	verb string
	// nothing, when set, says why there is nothing to do.
	nothing string
	// apply makes the change; it runs in a command and may block.
	apply func(ctx context.Context) changeOutcome
}

// changeOutcome is what applying did.
type changeOutcome struct {
	// lines are old → new as read back from the kernel, per file.
	lines []dline
	// err is the failure in plain words, with the errno.
	err error
	// notes follow: the journal change, how to undo.
	notes []string
	// watch, when set, shows the effect live as scans come in.
	watch *liveWatch
}

// flowState is the step a change dialog is at.
type flowState int

const (
	stInput flowState = iota
	stPlanning
	stPreview
	stApplying
	stResult
	// stFailed: planning failed and there is no input to go back to.
	stFailed
)

// flowPlannedMsg carries a finished plan to the dialog with id.
type flowPlannedMsg struct {
	id      int
	preview *changePreview
	err     error
}

// flowAppliedMsg carries what applying did to the dialog with id.
type flowAppliedMsg struct {
	id      int
	outcome changeOutcome
}

// flowIDs numbers change dialogs so that a result reaching a newer
// dialog is ignored. Only the UI goroutine touches it.
var flowIDs int

// changeDialog carries one change through input → preview → confirm →
// result. Every step can be left with esc; a running write is not
// interrupted, but the writes after it are skipped.
type changeDialog struct {
	id    int
	st    *Styles
	flow  changeFlow
	state flowState
	// back is the dialog esc returns to from the input (the file list of
	// the limit editor), or nil.
	back dialog.Dialog

	input    lineInput
	inputErr string
	planErr  error
	preview  *changePreview
	outcome  *changeOutcome
	nudge    string

	cancel     context.CancelFunc
	cancelling bool
	scroll     int
}

// newChangeDialog returns a dialog for flow; back is where esc on the
// input returns to (nil closes).
func newChangeDialog(st *Styles, flow changeFlow, back dialog.Dialog) *changeDialog {
	flowIDs++
	d := &changeDialog{id: flowIDs, st: st, flow: flow, back: back}
	d.input.SetValue(flow.initial)
	if flow.validate == nil {
		d.state = stPlanning
	}
	return d
}

// Init starts planning right away for a change without input.
func (d *changeDialog) Init() tea.Cmd {
	if d.state == stPlanning && d.flow.plan != nil {
		return d.planCmd(d.flow.plan)
	}
	return nil
}

func (d *changeDialog) planCmd(fn planFunc) tea.Cmd {
	id := d.id
	return func() tea.Msg {
		p, err := fn()
		return flowPlannedMsg{id: id, preview: p, err: err}
	}
}

// applyCmd applies the previewed change in a command.
func (d *changeDialog) applyCmd() tea.Cmd {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.cancelling = cancel, false
	d.state, d.nudge = stApplying, ""
	id, apply := d.id, d.preview.apply
	return func() tea.Msg {
		defer cancel()
		return flowAppliedMsg{id: id, outcome: apply(ctx)}
	}
}

// closeCmd closes the dialog and asks for a scan so the row shows the
// change.
func closeCmd() tea.Cmd { return tea.Batch(dialog.Close, RefreshNow) }

// Update moves the dialog through its steps.
func (d *changeDialog) Update(msg tea.Msg) (dialog.Dialog, tea.Cmd) {
	switch msg := msg.(type) {
	case flowPlannedMsg:
		if msg.id != d.id || d.state != stPlanning {
			return d, nil
		}
		switch {
		case msg.err != nil && d.flow.validate != nil:
			d.state, d.inputErr = stInput, msg.err.Error()
		case msg.err != nil:
			d.state, d.planErr = stFailed, msg.err
		default:
			d.state, d.preview, d.scroll = stPreview, msg.preview, 0
		}
	case flowAppliedMsg:
		if msg.id != d.id {
			return d, nil
		}
		d.state, d.outcome, d.cancel, d.scroll = stResult, &msg.outcome, nil, 0
		return d, RefreshNow
	case scanMsg:
		if d.outcome != nil && d.outcome.watch != nil && msg.err == nil {
			d.outcome.watch.observe(msg.snap)
		}
	case tea.PasteMsg:
		if d.state == stInput && d.input.Update(msg) {
			d.inputErr = ""
		}
	case tea.KeyPressMsg:
		return d.onKey(msg)
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			d.scroll = max(0, d.scroll-1)
		} else {
			d.scroll++
		}
	}
	return d, nil
}

func (d *changeDialog) onKey(msg tea.KeyPressMsg) (dialog.Dialog, tea.Cmd) {
	k := msg.String()
	cancelKey := k == "esc" || k == "ctrl+c"
	switch k {
	case "up":
		d.scroll = max(0, d.scroll-1)
		return d, nil
	case "down":
		d.scroll++
		return d, nil
	}
	switch d.state {
	case stInput:
		switch {
		case cancelKey:
			if d.back != nil {
				return d.back, nil
			}
			return d, dialog.Close
		case k == "enter":
			fn, err := d.flow.validate(d.input.Value())
			if err != nil {
				d.inputErr = err.Error()
				return d, nil
			}
			d.state, d.inputErr = stPlanning, ""
			return d, d.planCmd(fn)
		default:
			if d.input.Update(msg) {
				d.inputErr = ""
			}
		}
	case stPlanning:
		if cancelKey {
			return d.leave(false)
		}
	case stPreview:
		p := d.preview
		switch {
		case cancelKey || k == "n" || k == "q":
			return d.leave(false)
		case k == "backspace" && d.flow.validate != nil:
			d.state, d.nudge = stInput, ""
		case p.nothing != "":
			if k == "enter" {
				return d.leave(false)
			}
		case k == "y" || k == "Y":
			return d, d.applyCmd()
		case k == "enter" && !p.typeY:
			return d, d.applyCmd()
		case k == "enter":
			d.nudge = "type y to " + p.verb + ", or esc to cancel"
		}
	case stApplying:
		if cancelKey && d.cancel != nil && !d.cancelling {
			d.cancel()
			d.cancelling = true
		}
	case stResult, stFailed:
		switch k {
		case "esc", "ctrl+c", "enter", "q", "space":
			return d.leave(true)
		}
	}
	return d, nil
}

// dialogWidth is the widest a change dialog gets.
const dialogWidth = 96

// View draws the current step.
func (d *changeDialog) View(cols, height int) string {
	w := min(cols, dialogWidth)
	r := dialogRenderer{st: d.st, w: w}
	head := r.wrap(seg{shortenIDs(d.flow.title), roleHeading})
	var body, fixed []string
	add := func(segs ...seg) { body = append(body, r.wrap(segs...)...) }
	// What the cgroup had before; after a change the result says it.
	if d.state != stResult {
		for _, l := range d.flow.about {
			add(l.segs...)
		}
		if len(d.flow.about) > 0 {
			body = append(body, "")
		}
	}
	switch d.state {
	case stInput:
		prompt := d.flow.prompt + " "
		inW := max(8, w-width(prompt)-1)
		body = append(body, d.st.of(roleLabel).Render(prompt)+d.input.render(inW, d.st.of(roleSelected)))
		add(seg{"  " + d.flow.hint, roleDim})
		if d.inputErr != "" {
			body = append(body, "")
			add(seg{"✗ " + d.inputErr, roleError})
			add(seg{"  nothing was written", roleDim})
		}
	case stPlanning:
		add(seg{"reading the current values…", roleDim})
	case stPreview, stApplying:
		p := d.preview
		if p.nothing != "" {
			add(seg{p.nothing, roleNormal})
			break
		}
		for _, l := range p.lines {
			add(l.segs...)
		}
		// What the operator confirms stays in view above the keys; the
		// writes scroll when they do not fit.
		for _, wn := range p.warnings {
			fixed = append(fixed, r.wrap(seg{"⚠ " + shortenIDs(wn), roleWarn})...)
		}
		if d.state == stApplying {
			fixed = append(fixed, r.wrap(seg{d.flow.busy, roleAccent})...)
			if d.cancelling {
				fixed = append(fixed, r.wrap(seg{"stopping: the write in progress finishes, the rest are skipped and rolled back", roleWarn})...)
			}
		}
		if d.nudge != "" {
			fixed = append(fixed, r.wrap(seg{d.nudge, roleWarn})...)
		}
	case stResult:
		o := d.outcome
		for _, l := range o.lines {
			add(l.segs...)
		}
		if o.err != nil {
			add(seg{"✗ " + o.err.Error(), roleError})
		}
		for _, n := range o.notes {
			add(seg{n, roleDim})
		}
		if o.watch != nil {
			body = append(body, "")
			for _, l := range o.watch.lines() {
				add(l.segs...)
			}
		}
	case stFailed:
		add(seg{"✗ " + d.planErr.Error(), roleError})
		add(seg{"nothing was written", roleDim})
	}
	if len(fixed) > 0 {
		fixed = append(fixed, "")
	}
	foot := append(fixed, r.wrap(seg{d.footer(), roleDim})...)
	return r.frame(head, body, foot, height, &d.scroll)
}

// footer says which keys do what at this step.
func (d *changeDialog) footer() string {
	switch d.state {
	case stInput:
		if d.back != nil {
			return "enter shows the writes · esc back to the files"
		}
		return "enter shows the writes · esc cancels"
	case stPlanning:
		return "esc cancels"
	case stPreview:
		p := d.preview
		edit := ""
		if d.flow.validate != nil {
			edit = " · backspace edits"
		}
		switch {
		case p.nothing != "":
			return "enter or esc closes" + edit
		case p.typeY:
			return "y " + thirdPerson(p.verb) + " · esc cancels" + edit
		}
		return "enter " + thirdPerson(p.verb) + " · esc cancels" + edit
	case stApplying:
		return "esc stops before the next write"
	}
	return "enter closes"
}

// containerID matches the 64-hex-digit IDs container runtimes put in
// cgroup and unit names.
var containerID = regexp.MustCompile(`[0-9a-f]{64}`)

// shortenIDs shortens container IDs to their first 12 digits, as docker
// and podman show them, so titles and warnings stay readable; the exact
// paths are in the writes. Commands to copy (from "systemctl" on) are
// left whole.
func shortenIDs(s string) string {
	cmd := ""
	if i := strings.Index(s, "systemctl "); i >= 0 {
		s, cmd = s[:i], s[i:]
	}
	return containerID.ReplaceAllStringFunc(s, func(id string) string { return id[:12] + "…" }) + cmd
}

// thirdPerson turns a verb into its "it does" form: writes, undoes.
func thirdPerson(verb string) string {
	if strings.HasSuffix(verb, "o") {
		return verb + "es"
	}
	return verb + "s"
}

// dialogRenderer lays out dialog lines w cells wide.
type dialogRenderer struct {
	st *Styles
	w  int
}

// wrap renders segs as one logical line wrapped to the width; lines
// after the first keep the first one's indentation.
func (r dialogRenderer) wrap(segs ...seg) []string {
	var plain, styled strings.Builder
	for _, s := range segs {
		text := sanitize(s.text)
		plain.WriteString(text)
		styled.WriteString(r.st.of(s.role).Render(text))
	}
	p := plain.String()
	if width(p) <= r.w {
		return []string{styled.String()}
	}
	lead := len(p) - len(strings.TrimLeft(p, " "))
	for _, mark := range []string{"✓ ", "⚠ ", "✗ "} {
		if strings.HasPrefix(p, mark) {
			lead = 2
		}
	}
	lead = min(lead, r.w/3)
	lines := strings.Split(ansi.Wrap(styled.String(), r.w-lead, ""), "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.Repeat(" ", lead) + strings.TrimLeft(lines[i], " ")
	}
	return lines
}

// frame puts the head, the part of the body that fits (scrolled by
// *scroll) and the footer into height lines, each padded to the width.
func (r dialogRenderer) frame(head, body, foot []string, height int, scroll *int) string {
	// On a very short terminal the keys line and the last warnings win.
	if maxFoot := max(1, height-len(head)-3); len(foot) > maxFoot {
		foot = foot[len(foot)-maxFoot:]
	}
	room := max(1, height-len(head)-len(foot)-2)
	*scroll = min(*scroll, max(0, len(body)-room))
	shown := body
	if len(body) > room {
		shown = append([]string(nil), body[*scroll:min(len(body), *scroll+room)]...)
		if *scroll > 0 {
			shown[0] = r.st.of(roleDim).Render("… ↑ more")
		}
		if *scroll+room < len(body) && len(shown) > 1 {
			shown[len(shown)-1] = r.st.of(roleDim).Render("… ↓ more")
		}
	}
	out := make([]string, 0, len(head)+len(shown)+len(foot)+2)
	out = append(out, head...)
	out = append(out, "")
	out = append(out, shown...)
	out = append(out, "")
	out = append(out, foot...)
	for i, l := range out {
		out[i] = padRight(truncateStyled(l, r.w), r.w)
	}
	return strings.Join(out, "\n")
}
