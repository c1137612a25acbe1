package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// fixtureProcFiles are the files of /proc/PID the fixture keeps.
var fixtureProcFiles = []string{"stat", "status", "cmdline", "comm", "cgroup", "mountinfo"}

// fixtureHostFiles are the host-wide /proc files the fixture keeps.
var fixtureHostFiles = []string{"cgroups", "stat", "meminfo", "uptime", "sys/kernel/hostname", "sys/kernel/osrelease"}

// saveFixture starts the demo workload, prints the fixture as a base64 tar
// between fixture markers, and removes the demo again.
func saveFixture(con *console, man labproto.Manifest) error {
	d, err := startDemo(cgroupRoot, man.Disk)
	if err != nil {
		_ = d.stop()
		return err
	}
	data, err := buildFixture(append([]int{1, 2}, d.pids()...), man.Disk)
	if stopErr := d.stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	con.marker(labproto.Marker{Kind: labproto.KindFixBegin})
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 0 {
		n := min(76, len(enc))
		b.WriteString(enc[:n])
		b.WriteByte('\n')
		enc = enc[n:]
	}
	con.printf("%s", b.String())
	con.marker(labproto.Marker{Kind: labproto.KindFixEnd, Bytes: len(data), SHA256: hex.EncodeToString(sum[:])})
	return nil
}

// fixtureWriter builds the tar stream. Modes are normalised to what git
// keeps (0644 files, 0755 directories); write-only kernel files become
// empty files so the fixture still shows they exist.
type fixtureWriter struct {
	tw   *tar.Writer
	dirs map[string]bool
	now  time.Time
}

func (f *fixtureWriter) dir(name string) error {
	if name == "." || f.dirs[name] {
		return nil
	}
	if err := f.dir(filepath.Dir(name)); err != nil {
		return err
	}
	f.dirs[name] = true
	return f.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: f.now})
}

func (f *fixtureWriter) file(name string, data []byte) error {
	if err := f.dir(filepath.Dir(name)); err != nil {
		return err
	}
	if err := f.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: f.now}); err != nil {
		return err
	}
	_, err := f.tw.Write(data)
	return err
}

func (f *fixtureWriter) symlink(name, target string) error {
	if err := f.dir(filepath.Dir(name)); err != nil {
		return err
	}
	return f.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: f.now})
}

// copyFile adds the kernel file src as name; unreadable (write-only)
// files become empty, vanished ones are left out.
func (f *fixtureWriter) copyFile(name, src string) error {
	data, err := os.ReadFile(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		data = nil
	}
	return f.file(name, data)
}

// buildFixture returns the tar of the proc subset for pids and the whole
// cgroup2 tree. See proc(5).
func buildFixture(pids []int, disk string) ([]byte, error) {
	var buf bytes.Buffer
	f := &fixtureWriter{tw: tar.NewWriter(&buf), dirs: map[string]bool{}, now: time.Now()}
	for _, name := range fixtureHostFiles {
		if err := f.copyFile("proc/"+name, "/proc/"+name); err != nil {
			return nil, fmt.Errorf("fixture: %w", err)
		}
	}
	for _, name := range []string{"etc/passwd", "etc/group"} {
		if err := f.copyFile(name, "/"+name); err != nil {
			return nil, fmt.Errorf("fixture: %w", err)
		}
	}
	if err := f.symlink("proc/self", strconv.Itoa(os.Getpid())); err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	for _, pid := range pids {
		if err := f.addProcess(pid); err != nil {
			return nil, fmt.Errorf("fixture: process %d: %w", pid, err)
		}
	}
	if disk != "" {
		if err := f.addDisk(disk); err != nil {
			return nil, fmt.Errorf("fixture: disk %s: %w", disk, err)
		}
	}
	err := filepath.WalkDir(cgroupRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // a cgroup removed while walking
		}
		name := strings.TrimPrefix(path, "/")
		if d.IsDir() {
			return f.dir(name)
		}
		if d.Type().IsRegular() {
			return f.copyFile(name, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fixture: cgroup tree: %w", err)
	}
	if err := f.tw.Close(); err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	return buf.Bytes(), nil
}

// addProcess adds /proc/PID's files, and its namespace and fd links as
// symlinks to the kernel's link text ("net:[4026531840]").
func (f *fixtureWriter) addProcess(pid int) error {
	src := "/proc/" + strconv.Itoa(pid)
	dst := "proc/" + strconv.Itoa(pid)
	for _, name := range fixtureProcFiles {
		if err := f.copyFile(dst+"/"+name, src+"/"+name); err != nil {
			return err
		}
	}
	for _, sub := range []string{"ns", "fd"} {
		ents, err := os.ReadDir(src + "/" + sub)
		if err != nil {
			continue // kernel threads have no fds to show
		}
		if err := f.dir(dst + "/" + sub); err != nil {
			return err
		}
		for _, e := range ents {
			target, err := os.Readlink(src + "/" + sub + "/" + e.Name())
			if err != nil {
				continue
			}
			if err := f.symlink(dst+"/"+sub+"/"+e.Name(), target); err != nil {
				return err
			}
		}
	}
	return nil
}

// addDisk adds the disk's device number, so io.max lines can be named.
func (f *fixtureWriter) addDisk(disk string) error {
	dev, err := os.ReadFile("/sys/block/" + disk + "/dev")
	if err != nil {
		return err
	}
	if err := f.file("sys/block/"+disk+"/dev", dev); err != nil {
		return err
	}
	if err := f.copyFile("sys/block/"+disk+"/size", "/sys/block/"+disk+"/size"); err != nil {
		return err
	}
	return f.symlink("sys/dev/block/"+strings.TrimSpace(string(dev)), "../../block/"+disk)
}
