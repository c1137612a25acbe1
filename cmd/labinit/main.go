// Command labinit is the /init of the kernel lab's QEMU guest. It mounts
// proc, sysfs and devtmpfs, loads the kernel modules the host packed,
// mounts cgroups as the manifest's configuration says (cgroup2 with the
// cpu, memory, pids and io controllers enabled, or legacy v1 hierarchies
// only), runs every test binary listed in the manifest with
// NSCOPE_KERNLAB=1 and the configuration's name, prints marker lines
// (see cmd/kernlab/labproto) around each one on the serial console, and
// powers the machine off. cmd/kernlab builds it and reads the console.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

func main() {
	if len(os.Args) > 1 {
		// The fixture's demo processes are this binary started again.
		os.Exit(runHelper(os.Args[1:]))
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "labinit: must run as PID 1 (the /init of the kernel lab guest); run 'go run ./cmd/kernlab' instead")
		os.Exit(2)
	}
	con := newConsole(os.Stdout)
	defer powerOff(con)
	defer func() {
		if r := recover(); r != nil {
			con.printf("labinit: panic: %v\n%s", r, debug.Stack())
			con.marker(labproto.Marker{Kind: labproto.KindSetup, Step: "labinit", Text: fmt.Sprint("panic: ", r)})
		}
	}()
	failures := run(con)
	con.marker(labproto.Marker{Kind: labproto.KindDone, Failures: failures})
}

// run does the whole guest session and returns the number of failures.
func run(con *console) int {
	failures := 0
	step := func(name string, err error) bool {
		m := labproto.Marker{Kind: labproto.KindSetup, Step: name, OK: err == nil}
		if err != nil {
			m.Text = err.Error()
			failures++
		}
		con.marker(m)
		return err == nil
	}
	if !step("mount", mountAll()) {
		return failures
	}
	con.marker(labproto.Marker{Kind: labproto.KindInit, Text: kernelRelease()})
	_ = unix.Sethostname([]byte("kernlab"))

	man, err := readManifest(labproto.ManifestPath)
	if !step("manifest", err) {
		return failures
	}
	if len(man.Modules) > 0 {
		step("modules", loadModules(man.Modules))
	}
	if man.Disk != "" {
		step("disk", waitForDisk(man.Disk))
	}
	switch man.Cgroup {
	case labproto.CgroupV2:
		if !step("cgroup2", mountCgroupV2()) || !step("controllers", enableControllers(cgroupRoot, labControllers)) {
			return failures
		}
	case labproto.CgroupLegacy:
		ctrls, err := mountCgroupV1()
		if !step("cgroup-v1", err) {
			return failures
		}
		con.printf("labinit: legacy cgroup v1: %s and name=%s, each on its own; no cgroup2\n", strings.Join(ctrls, ", "), systemdHierarchy)
	default:
		step("cgroups", fmt.Errorf("manifest cgroup setup %q: want %q or %q", man.Cgroup, labproto.CgroupV2, labproto.CgroupLegacy))
		return failures
	}
	for _, tb := range man.Tests {
		if !runTestBinary(con, man, tb) {
			failures++
		}
	}
	// kernlab -ssh: reachable over SSH once the tests are done.
	failures += sshSession(con)
	if man.Fixture {
		if man.Cgroup != labproto.CgroupV2 {
			step("fixture", fmt.Errorf("the fixture is a cgroup v2 host; this guest is %s", man.Cgroup))
		} else {
			step("fixture", saveFixture(con, man))
		}
	}
	return failures
}

// readManifest reads the JSON manifest the host packed.
func readManifest(path string) (labproto.Manifest, error) {
	var m labproto.Manifest
	data, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("parse manifest %s: %w", path, err)
	}
	return m, nil
}

// kernelRelease returns uname -r.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return strings.TrimRight(string(u.Release[:]), "\x00")
}

// powerOff flushes and powers the guest off, which ends QEMU. If the
// reboot call fails, PID 1 exits and the kernel panics; with panic=-1 and
// -no-reboot QEMU exits then too.
func powerOff(con *console) {
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		con.printf("labinit: power off: %v\n", err)
	}
}
