package main

import (
	"fmt"
	"io"
	"strings"
)

// reporter prints results as they arrive and the summary at the end.
type reporter struct {
	w       io.Writer
	verbose bool
}

// packageDone prints one package's tests: every test's result, and the
// output of failed ones (all output with -v).
func (rep *reporter) packageDone(p *packageResult) {
	state := "ok"
	if p.failed() {
		state = "FAIL"
	}
	fmt.Fprintf(rep.w, "%-4s %s (%.1fs in the guest, exit %d)\n", state, p.Package, p.Seconds, p.Exit)
	for _, t := range p.Tests {
		status := t.Status
		if status == "" {
			status = "FAIL"
		}
		fmt.Fprintf(rep.w, "  %s %s (%.2fs)%s\n", status, t.Name, t.Seconds, skipReason(t))
		if status == statusFail || (rep.verbose && status != statusSkip) {
			for _, l := range t.Output {
				fmt.Fprintf(rep.w, "      %s\n", l)
			}
		}
	}
	if len(p.Tests) == 0 {
		fmt.Fprintf(rep.w, "  (no test matched)\n")
	}
	if p.failed() {
		// Panics, timeouts and build-up failures print outside any test.
		for _, l := range p.Output {
			fmt.Fprintf(rep.w, "    | %s\n", l)
		}
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(rep.w, "  WARN %s\n", w)
	}
}

// skipReason returns ": reason" for a skipped test (its t.Skip message).
func skipReason(t *testResult) string {
	if t.Status != statusSkip {
		return ""
	}
	for i := len(t.Output) - 1; i >= 0; i-- {
		l := strings.TrimSpace(t.Output[i])
		if l == "" || strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "=== ") {
			continue
		}
		// "lab_test.go:42: needs root" -> "needs root"
		if _, msg, ok := strings.Cut(l, ": "); ok && strings.Contains(l[:strings.Index(l, ": ")], ".go:") {
			l = msg
		}
		return ": " + l
	}
	return ""
}

// verdict checks everything the console showed and returns the problems
// that make the lab fail; none means success. requireTests makes a guest
// in which no test passed or failed a problem (kernlab asks it of each
// configuration with the default -run, and of the whole matrix with
// another, which may select tests of one configuration only).
func verdict(r *consoleResults, bootErr error, wantPackages []string, requireTests bool) []string {
	var problems []string
	if bootErr != nil {
		problems = append(problems, bootErr.Error())
	}
	if len(r.Panic) > 0 {
		problems = append(problems, "guest kernel panicked:\n    | "+strings.Join(r.Panic, "\n    | "))
	}
	for _, s := range r.Setup {
		if !s.OK {
			problems = append(problems, fmt.Sprintf("guest setup step %q failed: %s", s.Step, s.Text))
		}
	}
	problems = append(problems, r.Problems...)
	for _, want := range wantPackages {
		p := r.find(want)
		switch {
		case p == nil:
			problems = append(problems, want+": never started in the guest")
		case !p.Ended:
			problems = append(problems, want+": did not finish in the guest")
		case p.failed():
			problems = append(problems, want+": failed")
		}
	}
	if !r.Done && bootErr == nil && len(r.Panic) == 0 {
		problems = append(problems, "guest stopped before its done marker")
	}
	pass, fail, _ := r.counts()
	if requireTests && pass+fail == 0 && len(problems) == 0 {
		problems = append(problems, "no TestLab test passed or failed: none matched -run, or all skipped")
	}
	return problems
}
