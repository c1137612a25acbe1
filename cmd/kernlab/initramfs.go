package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// guestFile is a file to put into the initramfs.
type guestFile struct {
	Src  string // host path
	Dst  string // absolute guest path
	Perm uint32
}

// initramfs describes the guest's root file system.
type initramfs struct {
	Files    []guestFile
	Symlinks map[string]string // guest path -> target
	Dirs     []string
	Manifest labproto.Manifest
}

// guestEtc are small files some tools expect (user names for the scanner).
var guestEtc = map[string]string{
	"/etc/passwd":   "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
	"/etc/group":    "root:x:0:\nnogroup:x:65534:\n",
	"/etc/hostname": "kernlab\n",
}

// write writes the initramfs as an uncompressed newc cpio to path.
// Uncompressed is quicker here: the kernel unpacks it in well under a
// second, while gzip would cost seconds on every rebuild.
func (fs *initramfs) write(dst string) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	c := newNewcWriter(bw)
	err = fs.writeTo(c)
	if err == nil {
		err = c.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write initramfs %s: %w", dst, err)
	}
	return nil
}

func (fs *initramfs) writeTo(c *newcWriter) error {
	dirs := map[string]bool{"/": true}
	var addDir func(d string) error
	addDir = func(d string) error {
		if dirs[d] {
			return nil
		}
		if err := addDir(path.Dir(d)); err != nil {
			return err
		}
		dirs[d] = true
		perm := uint32(0o755)
		if d == "/tmp" {
			perm = 0o1777
		}
		return c.Dir(d, perm)
	}
	for _, d := range append([]string{"/proc", "/sys", "/dev", "/tmp", "/run", "/root", "/bin", "/lab"}, fs.Dirs...) {
		if err := addDir(d); err != nil {
			return err
		}
	}
	// The kernel opens /dev/console for /init's stdin, stdout and stderr.
	if err := c.CharDev("/dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	manifest, err := json.MarshalIndent(fs.Manifest, "", "  ")
	if err != nil {
		return err
	}
	if err := c.File(labproto.ManifestPath, 0o644, manifest); err != nil {
		return err
	}
	for _, name := range sortedKeys(guestEtc) {
		if err := addDir(path.Dir(name)); err != nil {
			return err
		}
		if err := c.File(name, 0o644, []byte(guestEtc[name])); err != nil {
			return err
		}
	}
	for _, gf := range fs.Files {
		data, err := os.ReadFile(gf.Src)
		if err != nil {
			return err
		}
		if err := addDir(path.Dir(gf.Dst)); err != nil {
			return err
		}
		if err := c.File(gf.Dst, gf.Perm, data); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(fs.Symlinks) {
		if err := addDir(path.Dir(name)); err != nil {
			return err
		}
		if err := c.Symlink(name, fs.Symlinks[name]); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// guestModulePath is where a module file goes in the guest.
func guestModulePath(hostPath string) string {
	return "/lib/modules/" + filepath.Base(hostPath)
}
