package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// OwnCgroups returns this process's cgroup path in each hierarchy, by
// hierarchy ID (0 is the v2 hierarchy), from /proc/self/cgroup. Test
// cgroups go beneath these, so that a test never touches what others run
// in. See cgroups(7).
func OwnCgroups(tb testing.TB) map[int]string {
	tb.Helper()
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		tb.Fatal(err)
	}
	own := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		id, path, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		_, path, ok = strings.Cut(path, ":")
		n, err := strconv.Atoi(id)
		if ok && err == nil {
			own[n] = path
		}
	}
	return own
}

// MakeCgroup creates the cgroup directory dir and removes it when the
// test ends, even when the test failed: it thaws the cgroup (v2
// cgroup.freeze, v1 freezer.state) and kills what the test left in it
// (v2 cgroup.kill) first, then retries the removal while the last
// processes finish exiting. Only make dir beneath the test's own cgroup
// (OwnCgroups) or with a UniqueName at a hierarchy root.
func MakeCgroup(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatalf("create test cgroup: %v", err)
	}
	tb.Cleanup(func() {
		for _, w := range [][2]string{{"cgroup.freeze", "0"}, {"freezer.state", "THAWED"}, {"cgroup.kill", "1"}} {
			// Only the files this cgroup has (its version and controllers).
			if f, err := os.OpenFile(filepath.Join(dir, w[0]), os.O_WRONLY, 0); err == nil {
				_, _ = f.WriteString(w[1])
				f.Close()
			}
		}
		if err := RmdirRetry(dir); err != nil {
			tb.Errorf("remove test cgroup %s: %v", dir, err)
		}
	})
}

// RmdirRetry removes a cgroup directory, retrying for two seconds while
// its last processes finish exiting (EBUSY). A directory already gone is
// no error.
func RmdirRetry(dir string) error {
	var err error
	for range 100 {
		if err = syscall.Rmdir(dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// WriteCgroupFile writes value to a cgroup's file, failing the test with
// the kernel's error.
func WriteCgroupFile(tb testing.TB, dir, file, value string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		tb.Fatalf("write %q to %s/%s: %v", value, dir, file, err)
	}
}

// Place moves pid into each cgroup directory (its cgroup.procs).
func Place(tb testing.TB, pid int, dirs ...string) {
	tb.Helper()
	for _, d := range dirs {
		WriteCgroupFile(tb, d, "cgroup.procs", strconv.Itoa(pid))
	}
}

// ReadInt64 reads a file holding one integer, such as a cgroup counter.
func ReadInt64(tb testing.TB, path string) int64 {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return v
}

// KeyedValue returns the value of key in a flat keyed file ("key value"
// lines, as cpu.stat and memory.events), failing the test when it has no
// such line.
func KeyedValue(tb testing.TB, path, key string) int64 {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				tb.Fatalf("%s: %s %q: %v", path, key, v, err)
			}
			return n
		}
	}
	tb.Fatalf("%s has no %q line", path, key)
	return 0
}
