// Package labproto is the contract between the kernel lab's host runner
// (cmd/kernlab) and the guest's /init (cmd/labinit): the manifest the host
// puts into the initramfs and the marker lines the guest prints on the
// serial console.
package labproto

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ManifestPath is where the manifest sits in the initramfs.
const ManifestPath = "/lab/manifest.json"

// Manifest tells the guest what to run. The host writes it as JSON.
type Manifest struct {
	// Modules are kernel module files to load, in dependency order.
	Modules []string `json:"modules,omitempty"`
	// Disk is the block device the host attached for io.max ("vda").
	Disk string `json:"disk,omitempty"`
	// Tests are the test binaries, run one after the other.
	Tests []TestBinary `json:"tests"`
	// Run is the -test.run pattern.
	Run string `json:"run"`
	// Timeout is the -test.timeout of each test binary.
	Timeout Duration `json:"timeout"`
	// Fixture asks the guest to build a small demo cgroup tree and dump
	// the /proc and /sys/fs/cgroup fixture after the tests.
	Fixture bool `json:"fixture,omitempty"`
	// Env are extra NAME=value pairs for the tests.
	Env []string `json:"env,omitempty"`
	// Config names the configuration of the matrix this guest is
	// ("6.1-v2"); Cgroup is how labinit mounts cgroups for it.
	Config string      `json:"config"`
	Cgroup CgroupSetup `json:"cgroup"`
}

// TestBinary is one package's compiled tests.
type TestBinary struct {
	// Package is the import path, e.g. github.com/nscope/nscope/inspect.
	Package string `json:"package"`
	// Binary is the path of the test binary in the guest.
	Binary string `json:"binary"`
	// Dir is the working directory the binary runs in (the package's
	// directory, as go test does).
	Dir string `json:"dir"`
}

// Duration is a time.Duration that encodes as text ("90s") in JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Prefix starts every marker line the guest prints. Test output never
// starts a line with it.
const Prefix = "@@kernlab "

// Marker kinds, the first word after Prefix.
const (
	KindInit     = "init"  // guest /init started: "init KERNEL-RELEASE"
	KindSetup    = "setup" // one setup step: "setup STEP ok" or "setup STEP FAIL: why"
	KindBegin    = "begin" // a test binary starts: "begin PACKAGE"
	KindEnd      = "end"   // it ended: "end PACKAGE exit=N seconds=F"
	KindWarn     = "warn"  // hygiene problems: "warn PACKAGE: text"
	KindFixBegin = "fixture-begin"
	KindFixEnd   = "fixture-end" // "fixture-end bytes=N sha256=HEX"
	KindDone     = "done"        // everything ran: "done failures=N"
)

// Marker is one parsed marker line.
type Marker struct {
	Kind string
	// Package is set for begin, end and warn.
	Package string
	// Step, OK and Text are set for setup (Text is the failure reason)
	// and warn (Text is the message); Text holds the kernel release for
	// init.
	Step string
	OK   bool
	Text string
	// Exit and Seconds are set for end.
	Exit    int
	Seconds float64
	// Bytes and SHA256 are set for fixture-end.
	Bytes  int
	SHA256 string
	// Failures is set for done.
	Failures int
}

// Format renders m as a console line without the trailing newline.
func (m Marker) Format() string {
	var rest string
	switch m.Kind {
	case KindInit:
		rest = m.Text
	case KindSetup:
		if m.OK {
			rest = m.Step + " ok"
		} else {
			rest = m.Step + " FAIL: " + oneLine(m.Text)
		}
	case KindBegin:
		rest = m.Package
	case KindEnd:
		rest = fmt.Sprintf("%s exit=%d seconds=%.2f", m.Package, m.Exit, m.Seconds)
	case KindWarn:
		rest = m.Package + ": " + oneLine(m.Text)
	case KindFixBegin:
	case KindFixEnd:
		rest = fmt.Sprintf("bytes=%d sha256=%s", m.Bytes, m.SHA256)
	case KindDone:
		rest = fmt.Sprintf("failures=%d", m.Failures)
	}
	if rest == "" {
		return Prefix + m.Kind
	}
	return Prefix + m.Kind + " " + rest
}

// oneLine keeps a message on one console line.
func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", " | ") }

// ParseMarker parses a console line. ok is false when the line is not a
// marker; err is set when it is one but malformed.
func ParseMarker(line string) (m Marker, ok bool, err error) {
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, Prefix) {
		return m, false, nil
	}
	body := line[len(Prefix):]
	kind, rest, _ := strings.Cut(body, " ")
	m.Kind = kind
	bad := func(why string) (Marker, bool, error) {
		return m, true, fmt.Errorf("malformed %s marker %q: %s", kind, line, why)
	}
	switch kind {
	case KindInit:
		m.Text = rest
	case KindSetup:
		step, result, _ := strings.Cut(rest, " ")
		m.Step = step
		switch {
		case result == "ok":
			m.OK = true
		case strings.HasPrefix(result, "FAIL: "):
			m.Text = strings.TrimPrefix(result, "FAIL: ")
		default:
			return bad("want STEP ok or STEP FAIL: reason")
		}
	case KindBegin:
		if rest == "" {
			return bad("no package")
		}
		m.Package = rest
	case KindEnd:
		f := strings.Fields(rest)
		if len(f) != 3 {
			return bad("want PACKAGE exit=N seconds=F")
		}
		m.Package = f[0]
		var err1, err2 error
		m.Exit, err1 = strconv.Atoi(strings.TrimPrefix(f[1], "exit="))
		m.Seconds, err2 = strconv.ParseFloat(strings.TrimPrefix(f[2], "seconds="), 64)
		if err1 != nil || err2 != nil || !strings.HasPrefix(f[1], "exit=") || !strings.HasPrefix(f[2], "seconds=") {
			return bad("want PACKAGE exit=N seconds=F")
		}
	case KindWarn:
		pkg, text, found := strings.Cut(rest, ": ")
		if !found {
			return bad("want PACKAGE: text")
		}
		m.Package, m.Text = pkg, text
	case KindFixBegin:
	case KindFixEnd:
		f := strings.Fields(rest)
		if len(f) != 2 || !strings.HasPrefix(f[0], "bytes=") || !strings.HasPrefix(f[1], "sha256=") {
			return bad("want bytes=N sha256=HEX")
		}
		n, err := strconv.Atoi(strings.TrimPrefix(f[0], "bytes="))
		if err != nil {
			return bad("bytes is not a number")
		}
		m.Bytes, m.SHA256 = n, strings.TrimPrefix(f[1], "sha256=")
	case KindDone:
		n, err := strconv.Atoi(strings.TrimPrefix(rest, "failures="))
		if err != nil || !strings.HasPrefix(rest, "failures=") {
			return bad("want failures=N")
		}
		m.Failures = n
	default:
		return bad("unknown kind")
	}
	return m, true, nil
}
