package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where the guest mounts cgroup2 (v2 guests), or the tmpfs
// holding one directory per v1 hierarchy (legacy guests).
const cgroupRoot = "/sys/fs/cgroup"

// mountSpec is one mount(2) call.
type mountSpec struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

// mountEach makes each target directory and mounts it.
func mountEach(mounts []mountSpec) error {
	for _, m := range mounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil && !errors.Is(err, unix.EROFS) {
			return fmt.Errorf("mkdir %s: %w", m.target, err)
		}
		if err := unix.Mount(m.source, m.target, m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount %s (%s) on %s: %w", m.fstype, m.data, m.target, err)
		}
	}
	return nil
}

// mountAll mounts what every guest needs: proc, sysfs, devtmpfs, tmpfs on
// /tmp and /run, devpts. Cgroups come after, by the manifest's setup
// (mountCgroupV2, mountCgroupV1). See mount(2).
func mountAll() error {
	err := mountEach([]mountSpec{
		{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
		{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"},
	})
	if err != nil {
		return err
	}
	// /dev/ptmx must point at the devpts instance for pty allocation.
	_ = os.Remove("/dev/ptmx")
	if err := os.Symlink("pts/ptmx", "/dev/ptmx"); err != nil {
		return fmt.Errorf("link /dev/ptmx: %w", err)
	}
	return nil
}

// cgroupMountFlags are the flags systemd mounts cgroup filesystems with.
const cgroupMountFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// mountCgroupV2 mounts cgroup2 at /sys/fs/cgroup, as a unified host does.
// See Documentation/admin-guide/cgroup-v2.rst, "Mounting".
func mountCgroupV2() error {
	return mountEach([]mountSpec{{"cgroup2", cgroupRoot, "cgroup2", cgroupMountFlags, "nsdelegate"}})
}
