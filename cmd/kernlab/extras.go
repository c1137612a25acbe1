package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// guestRootfs is where an -extra run puts a busybox root file system for
// container bundles (runc's config.json root.path).
const guestRootfs = "/lab/rootfs"

// addExtras puts host binaries into the guest's /bin (-extra), each with
// its ELF interpreter and shared libraries at their host paths when it is
// dynamically linked (Debian's runc needs libseccomp and libc), and a
// busybox root file system at /lab/rootfs for the containers they run.
func addExtras(ctx context.Context, fsys *initramfs, bb *busybox, bins []string) error {
	if len(bins) == 0 {
		return nil
	}
	have := map[string]bool{}
	for _, bin := range bins {
		files, err := extraFiles(ctx, bin)
		if err != nil {
			return err
		}
		for _, f := range files {
			if !have[f.Dst] {
				have[f.Dst] = true
				fsys.Files = append(fsys.Files, f)
			}
		}
	}
	fsys.Files = append(fsys.Files, guestFile{Src: bb.Path, Dst: guestRootfs + "/bin/busybox", Perm: 0o755})
	for _, a := range bb.Applets {
		if a != "busybox" {
			fsys.Symlinks[guestRootfs+"/bin/"+a] = "busybox"
		}
	}
	for _, d := range []string{"proc", "sys", "dev", "tmp", "etc", "root"} {
		fsys.Dirs = append(fsys.Dirs, guestRootfs+"/"+d)
	}
	return nil
}

// extraFiles returns the guest files one -extra binary needs.
func extraFiles(ctx context.Context, bin string) ([]guestFile, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("-extra %s: %w", bin, err)
	}
	files := []guestFile{{Src: path, Dst: "/bin/" + filepath.Base(path), Perm: 0o755}}
	if err := checkStatic(path); err == nil {
		return files, nil
	}
	out, err := exec.CommandContext(ctx, "ldd", path).Output()
	if err != nil {
		return nil, fmt.Errorf("-extra %s is dynamically linked and ldd fails on it: %w", bin, err)
	}
	libs, err := parseLdd(out)
	if err != nil {
		return nil, fmt.Errorf("-extra %s: %w", bin, err)
	}
	for _, lib := range libs {
		files = append(files, guestFile{Src: lib, Dst: lib, Perm: 0o755})
	}
	return files, nil
}

// parseLdd returns the absolute paths ldd(1) resolved: "libc.so.6 =>
// /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the interpreter line
// "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file.
func parseLdd(out []byte) ([]string, error) {
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "linux-vdso") || strings.HasPrefix(line, "statically linked") {
			continue
		}
		if _, target, ok := strings.Cut(line, " => "); ok {
			line = target
		}
		path, _, _ := strings.Cut(line, " ")
		if path == "not" || !filepath.IsAbs(path) {
			return nil, fmt.Errorf("ldd cannot resolve %q", sc.Text())
		}
		libs = append(libs, path)
	}
	return libs, nil
}

// extraList is a repeatable -extra flag.
type extraList []string

func (l *extraList) String() string { return strings.Join(*l, ",") }

func (l *extraList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil && filepath.IsAbs(p) {
			return err
		}
		*l = append(*l, p)
	}
	return nil
}
