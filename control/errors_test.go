package control

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		file string
		want string
	}{
		{name: "EINVAL cfs", err: unix.EINVAL, file: "cpu.cfs_period_us", want: "invalid argument (EINVAL): the kernel rejected the CPU limit"},
		{name: "EINVAL v1 memory", err: unix.EINVAL, file: "memory.limit_in_bytes", want: "may not exceed memory.memsw.limit_in_bytes"},
		{name: "ERANGE weight", err: unix.ERANGE, file: "cpu.weight", want: "(ERANGE): cpu.weight must be 1–10000"},
		{name: "EBUSY v1 memory", err: unix.EBUSY, file: "memory.limit_in_bytes", want: "(EBUSY): the kernel could not reclaim enough memory"},
		{name: "EBUSY subtree_control", err: unix.EBUSY, file: "cgroup.subtree_control", want: "the cgroup has processes of its own"},
		{name: "ENODEV io", err: unix.ENODEV, file: "io.max", want: "(ENODEV): no such block device"},
		{name: "EACCES", err: unix.EACCES, file: "memory.max", want: "(EACCES): permission denied: only root, or the user the cgroup is delegated to"},
		{name: "EPERM", err: unix.EPERM, file: "pids.max", want: "operation not permitted (EPERM): permission denied"},
		{name: "ENOENT", err: unix.ENOENT, file: "cpu.max", want: "(ENOENT): the cgroup or file does not exist"},
		{name: "wrapped errno", err: fmt.Errorf("open: %w", unix.EROFS), file: "pids.max", want: "(EROFS): the cgroup filesystem is mounted read-only"},
		{name: "no errno", err: errors.New("short write"), file: "pids.max", want: "short write"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Explain(tc.err, tc.file); !strings.Contains(got, tc.want) {
				t.Errorf("Explain(%v, %s) = %q, want it to contain %q", tc.err, tc.file, got, tc.want)
			}
		})
	}
}

func TestKernelErrorUnwraps(t *testing.T) {
	err := fmt.Errorf("apply: %w", &KernelError{Op: "write", Path: "/sys/fs/cgroup/a/cpu.max", Value: "1 1", Err: unix.EINVAL})
	if !errors.Is(err, unix.EINVAL) {
		t.Error("errors.Is(KernelError, EINVAL) = false")
	}
	var kerr *KernelError
	if !errors.As(err, &kerr) || kerr.Errno() != "EINVAL" {
		t.Errorf("Errno() = %q", kerr.Errno())
	}
	if want := `write "1 1" to /sys/fs/cgroup/a/cpu.max: invalid argument (EINVAL)`; !strings.HasPrefix(kerr.Error(), want) {
		t.Errorf("Error() = %q, want prefix %q", kerr.Error(), want)
	}
}
