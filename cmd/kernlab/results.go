package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// Test outcomes, as go test -v prints them.
const (
	statusPass = "PASS"
	statusFail = "FAIL"
	statusSkip = "SKIP"
)

// testResult is one top-level test in one package.
type testResult struct {
	Name    string
	Status  string // "" while running, then PASS, FAIL or SKIP
	Seconds float64
	Output  []string // every line printed while it ran, subtests included
}

// packageResult is one test binary's run in the guest.
type packageResult struct {
	Package  string
	Ended    bool
	Exit     int
	Seconds  float64
	Tests    []*testResult
	Output   []string // lines outside any test (build-up, PASS/FAIL, panics)
	Warnings []string
}

// failed reports whether the package counts as failed.
func (p *packageResult) failed() bool {
	if !p.Ended || p.Exit != 0 {
		return true
	}
	for _, t := range p.Tests {
		if t.Status == statusFail || t.Status == "" {
			return true
		}
	}
	return false
}

// consoleResults is everything read from the guest's serial console.
type consoleResults struct {
	Kernel    string // set once /init reported in
	Setup     []labproto.Marker
	Packages  []*packageResult
	Done      bool
	Failures  int      // from the done marker
	Panic     []string // kernel panic lines, if any
	Problems  []string // malformed markers and other protocol errors
	Fixture   []byte   // decoded fixture tar, when one arrived intact
	FixtureOK bool

	cur        *packageResult
	curTest    *testResult
	inFixture  bool
	fixtureB64 strings.Builder
	panicking  bool
	tail       []string
}

var (
	// escapeSeq matches terminal escape sequences: the firmware clears the
	// screen right before the kernel's first output, on the same line.
	escapeSeq    = regexp.MustCompile(`\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_a-z])`)
	goTestRun    = regexp.MustCompile(`^=== (RUN|CONT|PAUSE|NAME)\s+(\S+)`)
	goTestResult = regexp.MustCompile(`^(\s*)--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+)s\)`)
)

// consoleTailLines is how many last console lines are kept to show when
// the guest stops unexpectedly.
const consoleTailLines = 40

// feed processes one console line (without its newline). It returns the
// package result that just ended, if the line ended one.
func (r *consoleResults) feed(line string) *packageResult {
	line = escapeSeq.ReplaceAllString(strings.TrimRight(line, "\r"), "")
	r.tail = append(r.tail, line)
	if len(r.tail) > consoleTailLines {
		r.tail = r.tail[1:]
	}
	if r.inFixture && !strings.HasPrefix(line, labproto.Prefix) {
		r.fixtureB64.WriteString(strings.TrimSpace(line))
		return nil
	}
	if strings.Contains(line, "Kernel panic - not syncing") {
		r.panicking = true
	}
	if r.panicking {
		if len(r.Panic) < consoleTailLines {
			r.Panic = append(r.Panic, line)
		}
		return nil
	}
	m, ok, err := labproto.ParseMarker(line)
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return nil
	}
	if ok {
		return r.marker(m)
	}
	if r.cur != nil {
		r.testLine(line)
	}
	return nil
}

func (r *consoleResults) marker(m labproto.Marker) *packageResult {
	switch m.Kind {
	case labproto.KindInit:
		r.Kernel = m.Text
	case labproto.KindSetup:
		r.Setup = append(r.Setup, m)
	case labproto.KindBegin:
		if r.cur != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s began before %s ended", m.Package, r.cur.Package))
		}
		r.cur = &packageResult{Package: m.Package}
		r.curTest = nil
		r.Packages = append(r.Packages, r.cur)
	case labproto.KindWarn:
		if p := r.find(m.Package); p != nil {
			p.Warnings = append(p.Warnings, m.Text)
		}
	case labproto.KindEnd:
		p := r.find(m.Package)
		if p == nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s ended without beginning", m.Package))
			return nil
		}
		p.Ended, p.Exit, p.Seconds = true, m.Exit, m.Seconds
		r.cur, r.curTest = nil, nil
		return p
	case labproto.KindFixBegin:
		r.inFixture = true
		r.fixtureB64.Reset()
	case labproto.KindFixEnd:
		r.inFixture = false
		r.decodeFixture(m)
	case labproto.KindDone:
		r.Done, r.Failures = true, m.Failures
	}
	return nil
}

func (r *consoleResults) find(pkg string) *packageResult {
	for _, p := range r.Packages {
		if p.Package == pkg {
			return p
		}
	}
	return nil
}

// testLine attributes a line of go test -v output to the test that is
// running (the last RUN or CONT), or to the package.
func (r *consoleResults) testLine(line string) {
	p := r.cur
	if m := goTestRun.FindStringSubmatch(line); m != nil {
		top, _, _ := strings.Cut(m[2], "/")
		t := p.test(top)
		if m[1] == "RUN" && t == nil {
			t = &testResult{Name: top}
			p.Tests = append(p.Tests, t)
		}
		if t != nil {
			r.curTest = t
			t.Output = append(t.Output, line)
		}
		return
	}
	if m := goTestResult.FindStringSubmatch(line); m != nil {
		if m[1] == "" {
			if t := p.test(m[3]); t != nil {
				t.Status = m[2]
				t.Seconds, _ = strconv.ParseFloat(m[4], 64)
				t.Output = append(t.Output, line)
				return
			}
		}
		top, _, _ := strings.Cut(m[3], "/")
		if t := p.test(top); t != nil {
			t.Output = append(t.Output, line)
			return
		}
	}
	if r.curTest != nil && r.curTest.Status == "" {
		r.curTest.Output = append(r.curTest.Output, line)
		return
	}
	p.Output = append(p.Output, line)
}

func (p *packageResult) test(name string) *testResult {
	for _, t := range p.Tests {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// decodeFixture checks and keeps the fixture tar.
func (r *consoleResults) decodeFixture(m labproto.Marker) {
	data, err := base64.StdEncoding.DecodeString(r.fixtureB64.String())
	if err != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("fixture: bad base64 on the console: %v", err))
		return
	}
	sum := sha256.Sum256(data)
	if len(data) != m.Bytes || hex.EncodeToString(sum[:]) != m.SHA256 {
		r.Problems = append(r.Problems, fmt.Sprintf("fixture: got %d bytes sha256 %x, guest sent %d bytes sha256 %s (console garbled?)", len(data), sum, m.Bytes, m.SHA256))
		return
	}
	r.Fixture, r.FixtureOK = data, true
}

// counts returns how many top-level tests passed, failed and skipped.
func (r *consoleResults) counts() (pass, fail, skip int) {
	for _, p := range r.Packages {
		for _, t := range p.Tests {
			switch t.Status {
			case statusPass:
				pass++
			case statusSkip:
				skip++
			default:
				fail++
			}
		}
	}
	return pass, fail, skip
}

// tailText returns the last console lines, for a guest that stopped early.
func (r *consoleResults) tailText() string {
	var b bytes.Buffer
	for _, l := range r.tail {
		b.WriteString("    | " + l + "\n")
	}
	return b.String()
}
