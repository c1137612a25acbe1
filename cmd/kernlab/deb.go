package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// debPackage is a Debian package resolved to one version.
type debPackage struct {
	Name    string
	Version string
}

// String returns "name_version", the cache key.
func (p debPackage) String() string { return p.Name + "_" + p.Version }

// aptOutput runs an apt tool and returns its stdout; on failure the error
// carries stderr.
func aptOutput(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// aptUpdated runs f, and if it fails because apt does not know a package,
// runs apt-get update once (as root) and tries again.
func aptUpdated(ctx context.Context, logf func(string, ...any), f func() error) error {
	err := f()
	if err == nil || os.Geteuid() != 0 {
		return err
	}
	logf("apt does not know it yet (%v); running apt-get update", err)
	if _, uerr := aptOutput(ctx, "apt-get", "update", "-qq"); uerr != nil {
		return fmt.Errorf("%w (apt-get update also failed: %v)", err, uerr)
	}
	return f()
}

// resolveDepends returns the package that meta (a metapackage such as
// linux-image-amd64) depends on whose name starts with prefix.
func resolveDepends(ctx context.Context, meta, prefix string) (string, error) {
	out, err := aptOutput(ctx, "apt-cache", "depends", meta)
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		dep, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Depends: ")
		if ok && strings.HasPrefix(dep, prefix) && !strings.HasPrefix(dep, "<") {
			return dep, nil
		}
	}
	return "", fmt.Errorf("apt-cache depends %s: no dependency named %s*", meta, prefix)
}

// candidateVersion returns the version apt would download for name.
func candidateVersion(ctx context.Context, name string) (debPackage, error) {
	out, err := aptOutput(ctx, "apt-cache", "show", "--no-all-versions", name)
	if err != nil {
		return debPackage{}, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Version: "); ok {
			return debPackage{Name: name, Version: strings.TrimSpace(v)}, nil
		}
	}
	return debPackage{}, fmt.Errorf("apt-cache show %s: no Version field", name)
}

// downloadDeb fetches the package's .deb into dir and returns its path.
func downloadDeb(ctx context.Context, pkg debPackage, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg.Name+"="+pkg.Version)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("apt-get download %s=%s: %w: %s", pkg.Name, pkg.Version, err, strings.TrimSpace(string(out)))
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), pkg.Name+"_") && strings.HasSuffix(e.Name(), ".deb") {
			return dir + "/" + e.Name(), nil
		}
	}
	return "", fmt.Errorf("apt-get download %s: no .deb in %s afterwards", pkg.Name, dir)
}

// walkDeb streams the files of a .deb's data archive (dpkg-deb
// --fsys-tarfile) to visit, with names like "boot/vmlinuz-6.1.0-48-amd64".
// visit may read the entry's content from r.
func walkDeb(ctx context.Context, deb string, visit func(name string, hdr *tar.Header, r io.Reader) error) error {
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--fsys-tarfile", deb)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w", deb, err)
	}
	tr := tar.NewReader(pipe)
	var walkErr error
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			walkErr = fmt.Errorf("read %s: %w", deb, err)
			break
		}
		if err := visit(strings.TrimPrefix(hdr.Name, "./"), hdr, tr); err != nil {
			walkErr = err
			break
		}
	}
	_, _ = io.Copy(io.Discard, pipe)
	if err := cmd.Wait(); err != nil && walkErr == nil {
		walkErr = fmt.Errorf("dpkg-deb --fsys-tarfile %s: %w: %s", deb, err, strings.TrimSpace(stderr.String()))
	}
	return walkErr
}
