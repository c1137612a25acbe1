package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nscope/nscope/internal/fixturefs"
)

// fixtureTrees are the top-level directories the guest's fixture holds;
// saving replaces them and leaves anything else in the directory (the
// README) alone.
var fixtureTrees = []string{"proc", "sys", "etc"}

// saveFixture unpacks the guest's fixture tar into dir.
func saveFixture(data []byte, dir string) (files int, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	for _, t := range fixtureTrees {
		if err := os.RemoveAll(filepath.Join(dir, t)); err != nil {
			return 0, err
		}
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			_, err := fixturefs.KeepEmptyDirs(dir)
			return files, err
		}
		if err != nil {
			return files, fmt.Errorf("fixture tar: %w", err)
		}
		name, err := fixturePath(hdr.Name)
		if err != nil {
			return files, err
		}
		dst := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(dst, 0o755)
		case tar.TypeReg:
			err = writeFrom(dst, tr)
			files++
		case tar.TypeSymlink:
			// Namespace and fd links keep the kernel's text
			// ("net:[4026531840]"); self points at a PID directory.
			if filepath.IsAbs(hdr.Linkname) && !strings.HasPrefix(name, "proc/") {
				return files, fmt.Errorf("fixture: absolute link %s -> %s", name, hdr.Linkname)
			}
			err = os.Symlink(hdr.Linkname, dst)
			files++
		default:
			return files, fmt.Errorf("fixture: %s has unsupported type %c", hdr.Name, hdr.Typeflag)
		}
		if err != nil {
			return files, fmt.Errorf("fixture: %w", err)
		}
	}
}

// fixturePath checks a tar entry name stays inside one of fixtureTrees.
func fixturePath(name string) (string, error) {
	clean := filepath.Clean(name)
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("fixture: entry %q leaves the fixture directory", name)
	}
	top, _, _ := strings.Cut(clean, "/")
	for _, t := range fixtureTrees {
		if top == t {
			return clean, nil
		}
	}
	return "", fmt.Errorf("fixture: entry %q is outside %v", name, fixtureTrees)
}
