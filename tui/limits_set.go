package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// limitKind is one of the limits the c, m and p keys edit.
type limitKind struct {
	// controller is the cgroup controller ("cpu", "memory", "pids").
	controller string
	// what names it in titles: "CPU limit".
	what string
	// prompt, hint for the input.
	prompt, hint string
	// parse turns the input into a change for target t.
	parse func(t cgTarget, text string) (control.Limits, error)
	// now describes the current limit.
	now func(t cgTarget) string
}

// The limits the c, m and p keys edit.
var (
	cpuLimit = limitKind{
		controller: "cpu", what: "CPU limit", prompt: "new CPU limit:",
		hint: `CPUs ("0.5", "2"), percent of one CPU ("50%"), "max", or "QUOTA PERIOD" in µs ("50000 100000")`,
		parse: func(_ cgTarget, text string) (control.Limits, error) {
			c, err := control.ParseCPU(text)
			if err != nil {
				return control.Limits{}, err
			}
			return control.Limits{CPU: &c}, nil
		},
		now: cpuNow,
	}
	memoryLimit = limitKind{
		controller: "memory", what: "memory limit", prompt: "new memory limit:",
		hint: `bytes or a size ("512M", "1.5G"; powers of 1024), or "max"`,
		parse: func(t cgTarget, text string) (control.Limits, error) {
			return fileLimits(memoryFile(t), text)
		},
		now: func(t cgTarget) string { return limitNow(t, memoryFile(t)) },
	}
	pidsLimit = limitKind{
		controller: "pids", what: "pids limit", prompt: "new pids limit:",
		hint: `processes and threads, 0–4194304, or "max"`,
		parse: func(_ cgTarget, text string) (control.Limits, error) {
			return fileLimits("pids.max", text)
		},
		now: func(t cgTarget) string { return limitNow(t, "pids.max") },
	}
)

// fileLimits parses a value for one file, raw or friendly.
func fileLimits(file, text string) (control.Limits, error) {
	var l control.Limits
	if err := l.SetFile(file, text); err != nil {
		return control.Limits{}, err
	}
	return l, nil
}

// limitFlow is the c, m or p change of target t.
func limitFlow(ed LimitEditor, t cgTarget, k limitKind) changeFlow {
	about := []dline{kvLine("now", seg{k.now(t), roleNormal})}
	if u := usageNow(t, k.controller); u != "" {
		about = append(about, kvLine("usage", seg{u, roleNormal}))
	}
	return changeFlow{
		title:  k.what + " · " + t.name(),
		about:  about,
		prompt: k.prompt,
		hint:   k.hint,
		busy:   busyText(k.controller),
		validate: func(text string) (planFunc, error) {
			l, err := k.parse(t, text)
			if err != nil {
				return nil, err
			}
			return setPlan(ed, t, l, k.controller), nil
		},
	}
}

// busyText is shown while a change is written.
func busyText(controller string) string {
	if controller == "memory" {
		return "writing… a lower memory limit can take a while: the kernel reclaims memory first"
	}
	return "writing…"
}

// kvLine is a "label  value" line of a dialog.
func kvLine(label string, value ...seg) dline {
	return dline{segs: append([]seg{{fit(label, 7, false) + " ", roleLabel}}, value...)}
}

// setPlan returns the planning work of a limit change: Editor.Plan, then
// the preview of its exact writes.
func setPlan(ed LimitEditor, t cgTarget, l control.Limits, controller string) planFunc {
	return func() (*changePreview, error) {
		p, err := ed.Plan(t.control(ed), l)
		if err != nil {
			return nil, err
		}
		pv := &changePreview{verb: "write", lines: planLines(p), warnings: p.Confirm, typeY: len(p.Confirm) > 0}
		if extra := riskWarnings(t, p); len(extra) > 0 {
			pv.warnings = append(append([]string(nil), pv.warnings...), extra...)
			pv.typeY = true
		}
		if len(p.Writes) == 0 {
			pv.nothing = "nothing to write: " + unchangedText(p)
		}
		pv.apply = func(ctx context.Context) changeOutcome {
			res, err := ed.Apply(ctx, p)
			o := resultOutcome(p, res, err)
			if err == nil {
				o.watch = newLiveWatch(t, controller)
			}
			return o
		}
		return pv, nil
	}
}

// planLines shows a plan's exact writes: the value written, the file,
// and old → new with their meaning; then files already right, and notes.
func planLines(p *control.Plan) []dline {
	var out []dline
	if len(p.Writes) > 0 {
		out = append(out, dline{segs: []seg{{"This writes, in order:", roleHeading}}})
	}
	for _, w := range p.Writes {
		out = append(out,
			dline{segs: []seg{{"  write ", roleLabel}, {quoteValue(w.New), roleAccent}, {" to ", roleLabel}, {w.Path(), roleNormal}}},
			dline{segs: []seg{{"      now ", roleLabel}, {control.DescribeValue(w.File, w.Old), roleNormal}, {" → ", roleLabel}, {control.DescribeValue(w.File, w.New), roleAccent}}},
		)
	}
	for _, w := range p.Unchanged {
		out = append(out, dline{segs: []seg{{"  " + w.Path(), roleDim}, {" already " + control.DescribeValue(w.File, w.Old), roleDim}}})
	}
	if was, now, ok := v1CPUChange(p); ok {
		out = append(out, dline{segs: []seg{{"  CPU limit ", roleLabel}, {was, roleNormal}, {" → ", roleLabel}, {now, roleAccent}}})
	}
	for _, n := range p.Notes {
		out = append(out, dline{segs: []seg{{"  note: " + n, roleDim}}})
	}
	return append(out, ownerLines(p.Owner)...)
}

// v1CPUChange says what a v1 quota/period change means together: "20%
// of 1 CPU" → "1 CPU"; ok is false when the plan has no such pair.
func v1CPUChange(p *control.Plan) (was, now string, ok bool) {
	vals := map[string][2]string{}
	for _, w := range p.Writes {
		vals[w.File] = [2]string{w.Old, w.New}
	}
	for _, w := range p.Unchanged {
		vals[w.File] = [2]string{w.Old, w.Old}
	}
	q, okQ := vals["cpu.cfs_quota_us"]
	per, okP := vals["cpu.cfs_period_us"]
	if !okQ || !okP {
		return "", "", false
	}
	quota := func(q, per string) string {
		qn, err1 := strconv.ParseInt(q, 10, 64)
		pn, err2 := strconv.ParseInt(per, 10, 64)
		if err1 != nil || err2 != nil {
			return "?"
		}
		if qn < 0 {
			qn = inspect.Unlimited
		}
		return procview.FormatCPUQuota(qn, pn)
	}
	return quota(q[0], per[0]), quota(q[1], per[1]), true
}

// quoteValue shows a value as it is written, quoted so spaces and empty
// values are visible.
func quoteValue(v string) string { return fmt.Sprintf("%q", v) }

// unchangedText says which files already hold the wanted values.
func unchangedText(p *control.Plan) string {
	var parts []string
	for _, w := range p.Unchanged {
		parts = append(parts, w.File+" already "+control.DescribeValue(w.File, w.Old))
	}
	if len(parts) == 0 {
		return "the change sets nothing"
	}
	return strings.Join(parts, "; ")
}

// riskWarnings warns before a limit below what the cgroup uses now: a
// memory limit under usage reclaims and then OOM-kills (v2) or fails with
// EBUSY (v1); a pids limit under the count makes forks fail.
func riskWarnings(t cgTarget, p *control.Plan) []string {
	if t.cg == nil {
		return nil
	}
	var out []string
	u := &t.cg.Usage
	for _, w := range p.Writes {
		n, err := inspect.ParseLimitValue([]byte(w.New))
		if err != nil || n == inspect.Unlimited {
			continue
		}
		switch w.File {
		case "memory.max":
			if u.MemoryCurrent != nil && n < *u.MemoryCurrent {
				out = append(out, fmt.Sprintf("%s is below what the cgroup uses now (%s): the kernel reclaims memory, and OOM-kills processes in it if it cannot",
					procview.FormatBytes(n), procview.FormatBytes(*u.MemoryCurrent)))
			}
		case "memory.limit_in_bytes":
			if u.MemoryCurrent != nil && n < *u.MemoryCurrent {
				out = append(out, fmt.Sprintf("%s is below what the cgroup uses now (%s): the kernel tries to reclaim; if it cannot, the write fails with EBUSY and the limit stays",
					procview.FormatBytes(n), procview.FormatBytes(*u.MemoryCurrent)))
			}
		case "pids.max":
			if u.PidsCurrent != nil && n < *u.PidsCurrent {
				out = append(out, fmt.Sprintf("%d is below the %d processes and threads in it now: nothing is killed, but every fork and new thread fails until fewer remain",
					n, *u.PidsCurrent))
			}
		}
	}
	return out
}

// resultOutcome shows what Apply did, file by file, as read back.
func resultOutcome(p *control.Plan, res *control.Result, err error) changeOutcome {
	o := changeOutcome{err: err}
	if res != nil {
		o.lines = append(o.lines, writeResultLines(res.Writes)...)
	}
	for _, w := range p.Unchanged {
		o.lines = append(o.lines, dline{segs: []seg{{"  " + w.Path(), roleDim}, {" already " + control.DescribeValue(w.File, w.Old), roleDim}}})
	}
	if err == nil && res != nil && len(res.Writes) > 0 {
		if p.Action == "undo" {
			o.notes = append(o.notes, "journaled as "+res.Change+"; u again undoes the change before it")
		} else {
			o.notes = append(o.notes, "journaled as "+res.Change+"; u undoes it")
		}
	}
	return o
}

// writeResultLines shows each write's outcome: old → new read back from
// the kernel, or why it did not happen.
func writeResultLines(writes []control.WriteResult) []dline {
	var out []dline
	for _, w := range writes {
		path := seg{"  " + w.Path(), roleNormal}
		switch {
		case w.Skipped:
			out = append(out, dline{segs: []seg{path, {": not written (an earlier write failed)", roleDim}}})
		case w.Err != nil && !w.Done:
			out = append(out, dline{segs: []seg{path, {": failed, still " + control.DescribeValue(w.File, w.Before), roleError}}})
		case w.RolledBack:
			out = append(out, dline{segs: []seg{path, {": written, then rolled back to " + control.DescribeValue(w.File, w.Before), roleWarn}}})
		default:
			out = append(out,
				dline{segs: []seg{{"✓ ", roleOK}, {path.text[2:], roleNormal}}},
				dline{segs: []seg{{"      ", roleNormal}, {control.DescribeValue(w.File, w.Before), roleNormal}, {" → ", roleLabel}, {control.DescribeValue(w.File, w.After), roleOK}, {"  read back", roleDim}}},
			)
		}
	}
	return out
}
