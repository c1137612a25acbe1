package fixturefs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestKeepEmptyDirs(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"sys/fs/cgroup/blkio", "sys/fs/cgroup/cpu/sub", "proc/1/fd"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "sys/fs/cgroup/cpu/sub/cpu.shares"), []byte("1024\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := KeepEmptyDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("marked %d directories, want 2 (blkio and proc/1/fd)", n)
	}
	for _, d := range []string{"sys/fs/cgroup/blkio", "proc/1/fd"} {
		if _, err := os.Stat(filepath.Join(root, d, KeepName)); err != nil {
			t.Errorf("%s has no marker: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "sys/fs/cgroup/cpu/sub", KeepName)); err == nil {
		t.Error("a directory with files got a marker")
	}
}

// TestCommittedFixturesHaveNoEmptyDirs fails on a working tree whose
// fixtures have a directory git would drop: a fresh checkout (CI) would
// then scan a different tree than the one the expectations were made on.
func TestCommittedFixturesHaveNoEmptyDirs(t *testing.T) {
	root := filepath.Join("..", "..", "testdata")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		entries, err := os.ReadDir(p)
		if err == nil && len(entries) == 0 {
			t.Errorf("%s is empty: git will not keep it; run KeepEmptyDirs (the fixture savers do)", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
