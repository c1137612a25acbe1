// Package fixturefs holds what the fixture savers share: fixtures are
// copies of kernel trees committed to git, and git keeps no empty
// directories.
package fixturefs

import (
	"io/fs"
	"os"
	"path/filepath"
)

// KeepName is the marker file put into directories that would otherwise
// be empty. Its name starts with a dot, which every reader of /proc and
// cgroupfs in nscope already skips.
const KeepName = ".keep"

// KeepEmptyDirs puts a KeepName file into every empty directory under
// root, so that a fresh checkout has the same directories as the tree
// that was saved (a cgroup hierarchy root with no copied files, a
// process's empty fd directory). It returns how many it marked.
func KeepEmptyDirs(root string) (int, error) {
	var empty []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			empty = append(empty, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, dir := range empty {
		if err := os.WriteFile(filepath.Join(dir, KeepName), nil, 0o644); err != nil {
			return 0, err
		}
	}
	return len(empty), nil
}
