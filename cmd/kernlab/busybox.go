package main

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// busyboxPackage gives the guest a shell and the usual tools (sh, sleep,
// dd, cat) as one static binary, for tests that start ordinary,
// single-threaded processes.
const busyboxPackage = "busybox-static"

// busybox is a cached static busybox and its applet names.
type busybox struct {
	Path    string
	Applets []string
}

// fetchBusybox returns the cached busybox, downloading it once.
func fetchBusybox(ctx context.Context, cacheDir string, logf func(string, ...any)) (*busybox, error) {
	var pkg debPackage
	err := aptUpdated(ctx, logf, func() error {
		var err error
		pkg, err = candidateVersion(ctx, busyboxPackage)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", busyboxPackage, err)
	}
	dir := filepath.Join(cacheDir, "busybox-"+pkg.String())
	bin := filepath.Join(dir, "busybox")
	if _, err := os.Stat(bin); err != nil {
		logf("fetching %s (once; cached in %s)", pkg, dir)
		if err := downloadBusybox(ctx, pkg, cacheDir, dir); err != nil {
			return nil, err
		}
	}
	out, err := exec.CommandContext(ctx, bin, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list: %w", bin, err)
	}
	return &busybox{Path: bin, Applets: strings.Fields(string(out))}, nil
}

func downloadBusybox(ctx context.Context, pkg debPackage, cacheDir, dir string) error {
	tmp, err := os.MkdirTemp(cacheDir, ".busybox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	deb, err := downloadDeb(ctx, pkg, tmp)
	if err != nil {
		return err
	}
	found := false
	err = walkDeb(ctx, deb, func(name string, hdr *tar.Header, r io.Reader) error {
		if name != "bin/busybox" {
			return nil
		}
		found = true
		if err := writeFrom(filepath.Join(tmp, "busybox"), r); err != nil {
			return err
		}
		return os.Chmod(filepath.Join(tmp, "busybox"), 0o755)
	})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%s has no bin/busybox", filepath.Base(deb))
	}
	if err := os.Remove(deb); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another lab run on this machine may have filled it meanwhile.
		if _, serr := os.Stat(filepath.Join(dir, "busybox")); serr == nil {
			return nil
		}
		_ = os.RemoveAll(dir)
		return os.Rename(tmp, dir)
	}
	return nil
}
