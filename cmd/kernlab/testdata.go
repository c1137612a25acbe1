package main

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// maxTestdataBytes caps the testdata copied into the guest, which lives
// in its 512 MiB of RAM.
const maxTestdataBytes = 64 << 20

// addTestdata copies the testdata directories the guest tests may read:
// each lab package's own and the module root's (fixtures such as
// testdata/v2host are reached as ../testdata from a package), to the same
// places under /src.
func addTestdata(fsys *initramfs, root string, pkgs []labPackage) error {
	dirs := []string{"."}
	for _, p := range pkgs {
		if p.Rel != "." {
			dirs = append(dirs, p.Rel)
		}
	}
	var total int64
	for _, rel := range dirs {
		host := filepath.Join(root, rel, "testdata")
		if _, err := os.Stat(host); err != nil {
			continue
		}
		guest := path.Join("/src", filepath.ToSlash(rel), "testdata")
		err := filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			relPath, err := filepath.Rel(host, p)
			if err != nil {
				return err
			}
			dst := path.Join(guest, filepath.ToSlash(relPath))
			switch {
			case d.IsDir():
				fsys.Dirs = append(fsys.Dirs, dst)
			case d.Type()&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				fsys.Symlinks[dst] = target
			case d.Type().IsRegular():
				info, err := d.Info()
				if err != nil {
					return err
				}
				total += info.Size()
				perm := uint32(0o644)
				if info.Mode()&0o111 != 0 {
					perm = 0o755
				}
				fsys.Files = append(fsys.Files, guestFile{Src: p, Dst: dst, Perm: perm})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("copy %s into the guest: %w", host, err)
		}
		if total > maxTestdataBytes {
			return fmt.Errorf("testdata for the guest is over %d MiB (at %s); the guest keeps it in RAM", maxTestdataBytes>>20, host)
		}
	}
	return nil
}
