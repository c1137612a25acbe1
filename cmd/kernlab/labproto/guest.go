package labproto

import (
	"fmt"
	"os"
	"strings"
)

// CgroupSetup is how a lab guest mounts cgroups.
type CgroupSetup string

// The cgroup setups of the lab's configurations.
const (
	// CgroupV2 is cgroup2 alone at /sys/fs/cgroup, with the cpu, memory,
	// pids and io controllers enabled for the root's children; the
	// kernel boots with cgroup_no_v1=all.
	CgroupV2 CgroupSetup = "v2"
	// CgroupLegacy is v1 alone: every controller the kernel has mounted
	// on its own under /sys/fs/cgroup/NAME, plus a name=systemd hierarchy
	// at /sys/fs/cgroup/systemd, and no cgroup2 mount anywhere (so
	// /proc/PID/cgroup has no "0::" line either).
	CgroupLegacy CgroupSetup = "legacy"
)

// Valid reports whether s is one of the known setups.
func (s CgroupSetup) Valid() bool { return s == CgroupV2 || s == CgroupLegacy }

// The environment labinit gives every test binary.
const (
	// EnvLab is "1" inside a lab guest.
	EnvLab = "NSCOPE_KERNLAB"
	// EnvConfig is the configuration's name ("6.12-v2").
	EnvConfig = "NSCOPE_KERNLAB_CONFIG"
	// EnvCgroup is its CgroupSetup ("v2", "legacy").
	EnvCgroup = "NSCOPE_KERNLAB_CGROUP"
)

// Guest is the configuration a test binary runs in.
type Guest struct {
	// Config is the configuration's name ("6.1-legacy").
	Config string
	// Cgroup is how the guest mounted cgroups.
	Cgroup CgroupSetup
}

// CurrentGuest returns the lab configuration from the environment labinit
// sets. ok is false outside a lab guest; err is set inside one whose
// environment is incomplete (a labinit and test binaries built apart).
func CurrentGuest() (g Guest, ok bool, err error) {
	if os.Getenv(EnvLab) != "1" {
		return g, false, nil
	}
	g = Guest{Config: os.Getenv(EnvConfig), Cgroup: CgroupSetup(os.Getenv(EnvCgroup))}
	if g.Config == "" || !g.Cgroup.Valid() {
		return g, true, fmt.Errorf("lab guest environment: %s=%q %s=%q, want a configuration name and %q or %q",
			EnvConfig, g.Config, EnvCgroup, g.Cgroup, CgroupV2, CgroupLegacy)
	}
	return g, true, nil
}

// TB is the part of testing.TB that Need uses.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
}

// AnyCgroup lists every setup: a test that runs in all configurations.
var AnyCgroup = []CgroupSetup{CgroupV2, CgroupLegacy}

// Need is how a TestLab test states the configurations it applies to: it
// skips outside the lab guest (saying how to run it), skips in a guest
// whose cgroup setup is not among setups (saying which it needs and what
// this guest is), and returns the guest otherwise. Root is checked too:
// every lab test writes cgroups.
func Need(t TB, setups ...CgroupSetup) Guest {
	t.Helper()
	g, ok, err := CurrentGuest()
	if !ok {
		t.Skip("needs the kernel lab guest (" + EnvLab + "=1): run go run ./cmd/kernlab")
		return g
	}
	if err != nil {
		t.Fatal(err)
		return g
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the lab guest runs tests as root")
		return g
	}
	for _, s := range setups {
		if s == g.Cgroup {
			return g
		}
	}
	want := make([]string, len(setups))
	for i, s := range setups {
		want[i] = setupWords(s)
	}
	t.Skip(fmt.Sprintf("applies to %s guests; this guest (%s) is %s", strings.Join(want, " and "), g.Config, setupWords(g.Cgroup)))
	return g
}

// setupWords names a setup in a skip message.
func setupWords(s CgroupSetup) string {
	switch s {
	case CgroupV2:
		return "cgroup v2"
	case CgroupLegacy:
		return "legacy cgroup v1"
	}
	return string(s)
}

// EnvKnownBugs is "1" when kernlab runs with -known-bugs: tests of
// product bugs that are known and tracked run instead of skipping.
const EnvKnownBugs = "NSCOPE_KERNLAB_KNOWN_BUGS"

// KnownBug marks the rest of a test as checking a product bug that is
// known and tracked in an issue: it skips, naming the issue and the bug,
// unless kernlab runs with -known-bugs, where the check runs (and fails
// until the fix lands; then delete the KnownBug call).
func KnownBug(t TB, issue int, bug string) {
	t.Helper()
	if os.Getenv(EnvKnownBugs) == "1" {
		return
	}
	t.Skip(fmt.Sprintf("known bug, issue #%d: %s (kernlab -known-bugs runs this check)", issue, bug))
}
