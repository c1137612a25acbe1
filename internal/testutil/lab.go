package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// LabCgroupRoot is the cgroup v2 mount of the kernel lab guest.
const LabCgroupRoot = "/sys/fs/cgroup"

// RequireKernLab skips the test unless it runs as root inside the kernel
// lab guest (cmd/kernlab sets NSCOPE_KERNLAB=1 there): a pure cgroup v2
// host with the cpu, memory, pids and io controllers.
func RequireKernLab(tb testing.TB) {
	tb.Helper()
	if os.Getenv("NSCOPE_KERNLAB") != "1" {
		tb.Skip("needs the kernel lab guest with cgroup v2 controllers (NSCOPE_KERNLAB=1): run go run ./cmd/kernlab")
	}
	RequireRoot(tb, "creates cgroups")
}

// LabCgroup creates a uniquely named cgroup at the lab guest's v2 root
// with MakeCgroup, writes the given {file, value} pairs into it in order,
// and returns its directory and its path as the scanner names it
// ("/nscope-test-...").
func LabCgroup(tb testing.TB, files ...[2]string) (dir, path string) {
	tb.Helper()
	name := UniqueName("nscope-test")
	dir = filepath.Join(LabCgroupRoot, name)
	MakeCgroup(tb, dir)
	for _, f := range files {
		WriteCgroupFile(tb, dir, f[0], f[1])
	}
	return dir, "/" + name
}

// StartInCgroup starts cmd inside the v2 cgroup directory dir from its
// birth (clone3 CLONE_INTO_CGROUP), keeping cmd's other SysProcAttr, and
// kills and waits for it when the test ends. It returns the start error,
// which a test of a limit may expect.
func StartInCgroup(tb testing.TB, dir string, cmd *exec.Cmd) error {
	tb.Helper()
	fd, err := os.Open(dir)
	if err != nil {
		tb.Fatalf("open cgroup: %v", err)
	}
	defer fd.Close()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(fd.Fd())
	if err := cmd.Start(); err != nil {
		return err
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return nil
}
