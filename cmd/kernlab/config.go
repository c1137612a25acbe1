package main

import (
	"fmt"
	"strings"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// labConfig is one configuration of the lab's matrix: a Debian kernel
// series and how the guest mounts cgroups.
type labConfig struct {
	// Name is what -config takes and the guest's NSCOPE_KERNLAB_CONFIG.
	Name string
	// Series is the kernel version the configuration promises ("6.12");
	// the fetched kernel's release must start with it.
	Series string
	// Meta is the Debian metapackage whose dependency is that kernel.
	Meta string
	// Cgroup is how labinit mounts cgroups.
	Cgroup labproto.CgroupSetup
	// OneHostThread runs the guest's two virtual CPUs on one host thread
	// (QEMU's single-threaded TCG). See the 6.12 entry of matrix.
	OneHostThread bool
}

// Label is the configuration as the report prints it: "6.1 legacy".
func (c labConfig) Label() string { return c.Series + " " + string(c.Cgroup) }

// cmdline returns the kernel command line. Every guest gets the console
// on the first serial port, quiet so the console stays parseable
// (loglevel=1 still shows panics), panic=-1 so a panic reboots at once
// (and -no-reboot turns that into QEMU exiting), PSI, and no_timer_check:
// on a busy host the emulated CPU may not see enough timer interrupts
// during the kernel's IO-APIC timer check, which then panics ("IO-APIC +
// timer doesn't work!", seen with three guests on two host CPUs). v2
// guests boot with cgroup_no_v1=all so every controller is free for
// cgroup2; legacy guests keep the v1 controllers for labinit to mount.
// nscope.lab names the configuration for anyone reading /proc/cmdline.
func (c labConfig) cmdline() string {
	line := "console=ttyS0 quiet loglevel=1 panic=-1 psi=1 no_timer_check mitigations=off rdinit=/init nscope.lab=" + c.Name
	if c.Cgroup == labproto.CgroupV2 {
		line += " cgroup_no_v1=all"
	}
	return line
}

// matrix is every configuration, in the order they run and are reported.
// bookworm's linux-image-amd64 is 6.1; bookworm-security carries the 6.12
// series as linux-image-6.12-amd64.
var matrix = []labConfig{
	{Name: "6.1-v2", Series: "6.1", Meta: "linux-image-amd64", Cgroup: labproto.CgroupV2},
	// Under multi-threaded TCG (QEMU 7.2, Debian 12) 2 of 6 boots of
	// 6.12.117 died with "Oops: int3" in enqueue_entity/dequeue_entity
	// the moment the first cpu.max write flipped the CFS bandwidth static
	// key: the other virtual CPU ran a stale translation of the code
	// being patched (text_poke_bp's int3) after the patch was done. One
	// host thread for both virtual CPUs serialises them.
	{Name: "6.12-v2", Series: "6.12", Meta: "linux-image-6.12-amd64", Cgroup: labproto.CgroupV2, OneHostThread: true},
	{Name: "6.1-legacy", Series: "6.1", Meta: "linux-image-amd64", Cgroup: labproto.CgroupLegacy},
}

// configNames lists the matrix for messages.
func configNames() string {
	names := make([]string, len(matrix))
	for i, c := range matrix {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// selectConfigs parses -config: "all" or a comma-separated list of names,
// returned in matrix order without repeats.
func selectConfigs(spec string) ([]labConfig, error) {
	if spec == "" || spec == "all" {
		return append([]labConfig(nil), matrix...), nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(spec, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, c := range matrix {
			found = found || c.Name == name
		}
		if !found {
			return nil, fmt.Errorf("-config %q: unknown configuration %q (want all, or some of %s, comma-separated)", spec, name, configNames())
		}
		want[name] = true
	}
	var out []labConfig
	for _, c := range matrix {
		if want[c.Name] {
			out = append(out, c)
		}
	}
	return out, nil
}

// seriesMatches reports whether a kernel release ("6.1.0-57-amd64",
// "6.12.117+deb12-amd64") belongs to series ("6.1", "6.12").
func seriesMatches(release, series string) bool {
	rest, ok := strings.CutPrefix(release, series)
	return ok && (rest == "" || rest[0] < '0' || rest[0] > '9')
}
