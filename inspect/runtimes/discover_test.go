package runtimes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// summary is one record on one line, for comparing discoveries.
func summary(r *Record) string {
	pod := "-"
	if r.Pod != nil {
		pod = fmt.Sprintf("%s/%s/%.8s/%.12s", r.Pod.Namespace, r.Pod.Name, r.Pod.UID, r.Pod.ID)
	}
	return fmt.Sprintf("%s %s %.12s name=%s image=%s pod=%s infra=%v state=%s pid=%d start=%d uid=%d cg=%.40s src=%s",
		r.Runtime, r.RuntimeNamespace, r.ID, r.Name, r.Image, pod, r.Infra, r.State, r.PID, r.PIDStart, r.UID, r.CgroupsPath, r.Source)
}

func summaries(res Result) []string {
	var out []string
	for i := range res.Records {
		out = append(out, summary(&res.Records[i]))
	}
	return out
}

// copyTree copies a fixture tree to a temporary directory the test may
// change.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
		// An old modification time: the cache trusts files that have
		// been still for a while.
		old := time.Now().Add(-time.Hour)
		return os.Chtimes(target, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Directories too, deepest first: their times vouch for their files.
	var dirs []string
	_ = filepath.Walk(dst, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	old := time.Now().Add(-time.Hour)
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i], old, old); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestDiscoverHost(t *testing.T) {
	res := NewDiscoverer("testdata/host").Discover()
	if len(res.Errors) > 0 {
		t.Errorf("errors: %+v", res.Errors)
	}
	const (
		pod    = "39f73d8342d1"
		podDir = "/var/lib/containers/storage/libpod/bolt_state.db"
	)
	want := []string{
		"containerd nscope-test nsct-app name=api image=registry.local/api:1.4 pod=prod/api-7f9/0b5c2a1e/nsct-sandbox infra=false state= pid=13583 start=155187 uid=0 cg=/nscope-test-explore/nsct-app src=/run/containerd/io.containerd.runtime.v2.task/nscope-test/nsct-app/config.json",
		"containerd nscope-test nsct-sandbox name=api-7f9 image= pod=prod/api-7f9/0b5c2a1e/nsct-sandbox infra=true state= pid=13491 start=154863 uid=0 cg=/nscope-test-explore/nsct-sandbox src=/run/containerd/io.containerd.runtime.v2.task/nscope-test/nsct-sandbox/config.json",
		"crun  nsct-crun name=nsct-crun image= pod=- infra=false state=running pid=26399 start=60900 uid=0 cg=/nsct-crun src=/run/crun/nsct-crun/status",
		// docker's runc state and containerd bundle are not read: docker
		// names the container, the kernel tells the rest.
		"docker  9f3aebb03d66 name=nsct-explore image=nscope-ct/busybox pod=- infra=false state=running pid=14944 start=0 uid=0 cg= src=/var/lib/docker/containers/" + dockerID + "/config.v2.json",
		"lxc  nsct-lxc name=nsct-lxc image=busybox pod=- infra=false state= pid=0 start=0 uid=0 cg= src=/var/lib/lxc/nsct-lxc/config",
		`nspawn  nsct-machine name=nsct-machine image=/var/lib/machines/nsct-machine pod=- infra=false state= pid=27374 start=0 uid=0 cg=machine.slice:machine-nsct\x2dmachine.sc src=/run/systemd/machines/nsct-machine`,
		"podman  5765522a4b36 name=" + pod + "-infra image=localhost/podman-pause:4.3.1-0 pod=/nsct-pod//" + pod + " infra=true state=running pid=21790 start=56147 uid=0 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + podDir,
		"podman  6a7f8d7fd288 name=nsct-pa image=localhost/nscope-ct/busybox:latest pod=/nsct-pod//" + pod + " infra=false state=running pid=21812 start=56154 uid=0 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + podDir,
		"podman  cbf445e91c59 name=nsct-pb image=localhost/nscope-ct/busybox:latest pod=/nsct-pod//" + pod + " infra=false state=running pid=21842 start=56168 uid=0 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + podDir,
		"runc  nsct-runc name=nsct-runc image= pod=- infra=false state=running pid=26371 start=60803 uid=0 cg=nsct-runc src=/run/runc/nsct-runc/state.json",
	}
	if diff := cmp.Diff(want, summaries(res)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	wantSources := []Source{
		{Docker, "/var/lib/docker/containers", 1},
		{Containerd, "/run/containerd/io.containerd.runtime.v2.task", 2},
		{Podman, "/var/lib/containers/storage/libpod", 3},
		{Runc, "/run/runc", 1},
		{Crun, "/run/crun", 1},
		{LXC, "/var/lib/lxc", 1},
		{Nspawn, "/run/systemd/machines", 1},
	}
	if diff := cmp.Diff(wantSources, res.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}

func TestDiscoverCRIO(t *testing.T) {
	res := NewDiscoverer("testdata/crio").Discover()
	want := []string{
		"cri-o  2e1d0c9b8a7f name=nginx image=registry.local/web:2.1 pod=shop/web-5d8f/7d3c2b1a/1f0c6d2b9a8e infra=false state= pid=31337 start=0 uid=0 cg=kubepods-besteffort-pod7d3c2b1a_0f9e_4d8 src=/var/lib/containers/storage/overlay-containers/2e1d0c9b8a7f6e5d4c3b2a19081726354453627180918273645546372819a0b1/userdata/config.json",
		"cri-o  1f0c6d2b9a8e name=web-5d8f image= pod=shop/web-5d8f/7d3c2b1a/1f0c6d2b9a8e infra=true state= pid=0 start=0 uid=0 cg=kubepods-besteffort-pod7d3c2b1a_0f9e_4d8 src=/var/lib/containers/storage/overlay-containers/1f0c6d2b9a8e7f6d5c4b3a29181716151413121110f0e0d0c0b0a09080706050/userdata/config.json",
	}
	if diff := cmp.Diff(want, summaries(res)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestDiscoverRelocated follows daemon.json's data-root and exec-root and
// storage.conf's graphroot and runroot, and reads podman's containers
// without its database (the pod by its cgroup, no pod name).
func TestDiscoverRelocated(t *testing.T) {
	res := NewDiscoverer("testdata/relocated").Discover()
	if len(res.Errors) > 0 {
		t.Errorf("errors: %+v", res.Errors)
	}
	const pod = "39f73d8342d1"
	const store = "/data/containers/overlay-containers/"
	want := []string{
		"docker  9f3aebb03d66 name=nsct-explore image=nscope-ct/busybox pod=- infra=false state=running pid=14944 start=0 uid=0 cg= src=/srv/docker/containers/" + dockerID + "/config.v2.json",
		"podman  5765522a4b36 name=" + pod + "-infra image=localhost/podman-pause:4.3.1-0 pod=///" + pod + " infra=true state= pid=21790 start=0 uid=0 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + store + "5765522a4b36a26a23038aa2483a0fbbc3da86afc3b186e206fc5b8a370303e7/userdata/config.json",
		"podman  6a7f8d7fd288 name=nsct-pa image=localhost/nscope-ct/busybox:latest pod=///" + pod + " infra=false state= pid=21812 start=0 uid=0 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + store + "6a7f8d7fd2880839f1c224db420ba925018bc48d8fea16f184af7dabb85f3cca/userdata/config.json",
		"podman  cbf445e91c59 name=nsct-pb image=localhost/nscope-ct/busybox:latest pod=///" + pod + " infra=false state= pid=21842 start=0 uid=0 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + store + "cbf445e91c59357d0a76623dee400c14435684ddf48950852cc5d46e5a5627dd/userdata/config.json",
	}
	if diff := cmp.Diff(want, summaries(res)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestDiscoverRootless reads a user's podman database under their home
// (from passwd) and their runc root under /run/user/UID.
func TestDiscoverRootless(t *testing.T) {
	res := NewDiscoverer("testdata/rootless").Discover()
	if len(res.Errors) > 0 {
		t.Errorf("errors: %+v", res.Errors)
	}
	const pod = "39f73d8342d1"
	const db = "/home/alice/.local/share/containers/storage/libpod/bolt_state.db"
	want := []string{
		"podman  5765522a4b36 name=" + pod + "-infra image=localhost/podman-pause:4.3.1-0 pod=/nsct-pod//" + pod + " infra=true state=running pid=21790 start=0 uid=1000 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + db,
		"podman  6a7f8d7fd288 name=nsct-pa image=localhost/nscope-ct/busybox:latest pod=/nsct-pod//" + pod + " infra=false state=running pid=21812 start=0 uid=1000 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + db,
		"podman  cbf445e91c59 name=nsct-pb image=localhost/nscope-ct/busybox:latest pod=/nsct-pod//" + pod + " infra=false state=running pid=21842 start=0 uid=1000 cg=/libpod_parent/" + pod + "3f614e21bc0de src=" + db,
		"runc  nsct-runc name=nsct-runc image= pod=- infra=false state=running pid=26371 start=60803 uid=1000 cg=nsct-runc src=/run/user/1000/runc/nsct-runc/state.json",
	}
	if diff := cmp.Diff(want, summaries(res)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestDiscoverDamaged: every damaged file is reported, none stops the
// others from being read.
func TestDiscoverDamaged(t *testing.T) {
	res := NewDiscoverer("testdata/damaged").Discover()
	var got []string
	for _, e := range res.Errors {
		var fe *FormatError
		got = append(got, fmt.Sprintf("%s format=%v", e.Path, errors.As(e.Err, &fe)))
	}
	want := []string{
		"/etc/docker/daemon.json format=true",
		"/var/lib/docker/containers/8e3aebb03d665703f164b971e69668febc58715038e34290e86398759bba7017/hostconfig.json format=true",
		"/var/lib/docker/containers/" + dockerID + "/config.v2.json format=true",
		"/run/containerd/io.containerd.runtime.v2.task/default/broken/config.json format=true",
		"/var/lib/containers/storage/libpod/bolt_state.db format=true",
		"/var/lib/containers/storage/overlay-containers/containers.json format=true",
		"/run/runc/half/state.json format=true",
		"/run/crun/bad/status format=true",
		"/var/lib/lxc/bad/config format=true",
		"/run/systemd/machines/noname format=true",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// The config copied under another ID is whole; its ID is the file's.
	wantRecs := []string{
		"docker  9f3aebb03d66 name=nsct-explore image=nscope-ct/busybox pod=- infra=false state=running pid=14944 start=0 uid=0 cg= src=/var/lib/docker/containers/8e3aebb03d665703f164b971e69668febc58715038e34290e86398759bba7017/config.v2.json",
	}
	if diff := cmp.Diff(wantRecs, summaries(res)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestDiscoverCache: a second pass reads nothing; a changed file is read
// again, a removed container is gone, a file changed within the racy
// window is read again on the next pass.
func TestDiscoverCache(t *testing.T) {
	for _, watch := range []bool{true, false} {
		t.Run(fmt.Sprintf("inotify %v", watch), func(t *testing.T) { testDiscoverCache(t, watch) })
	}
}

func testDiscoverCache(t *testing.T, watch bool) {
	dir := copyTree(t, "testdata/host")
	d := NewDiscoverer(dir)
	t.Cleanup(d.Close)
	if !watch {
		d.cache.watcher.close()
		d.cache.watcher = nil
	} else if d.cache.watcher.fd < 0 {
		t.Skip("no inotify here")
	}
	first := d.Discover()
	if first.Reads == 0 || len(first.Records) != 10 {
		t.Fatalf("first pass read %d files, found %d containers", first.Reads, len(first.Records))
	}
	if again := d.Discover(); again.Reads != 0 || len(again.Records) != 10 {
		t.Fatalf("second pass read %d files (want 0), found %d containers", again.Reads, len(again.Records))
	}
	// With inotify, an unchanged container directory costs no stat: only
	// the few configuration files, LXC's configs (edited in place) and
	// the directories that do not exist in the fixture are looked at.
	if again := d.Discover(); watch && again.Stats > 12 || !watch && again.Stats < 15 {
		t.Errorf("a pass with nothing changed made %d stat calls", again.Stats)
	}

	// docker rename: config.v2.json rewritten (same size is possible;
	// the inode and mtime change with docker's atomic write).
	cfg := filepath.Join(dir, "var/lib/docker/containers", dockerID, "config.v2.json")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	renamed := []byte(string(data[:0]) + string(replace(data, `"Name":"/nsct-explore"`, `"Name":"/nsct-renamd"`)))
	tmp := cfg + ".tmp"
	if err := os.WriteFile(tmp, renamed, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * time.Minute)
	if err := os.Chtimes(tmp, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, cfg); err != nil {
		t.Fatal(err)
	}
	res := d.Discover()
	if res.Reads != 1 {
		t.Errorf("after a rename %d files were read, want 1", res.Reads)
	}
	if r := find(res, dockerID); r == nil || r.Name != "nsct-renamd" {
		t.Errorf("renamed container = %+v", r)
	}

	// Removed: the LXC container is gone, and so are its cache entries.
	if err := os.RemoveAll(filepath.Join(dir, "var/lib/lxc/nsct-lxc")); err != nil {
		t.Fatal(err)
	}
	res = d.Discover()
	if find(res, "nsct-lxc") != nil || res.Reads != 0 {
		t.Errorf("after removing the LXC container: found %v, %d reads", find(res, "nsct-lxc") != nil, res.Reads)
	}
	if _, ok := d.cache.entries[filepath.Join(dir, "var/lib/lxc/nsct-lxc/config")]; ok {
		t.Error("the removed container's file is still cached")
	}

	// Racy: a file replaced just now (runc writes its pid file to a
	// temporary name and renames it) is read again next time, even if
	// unchanged, since a change within the same tick would not show.
	pidFile := filepath.Join(dir, "run/containerd/io.containerd.runtime.v2.task/nscope-test/nsct-app/init.pid")
	if err := os.WriteFile(pidFile+".tmp", []byte("13583"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(pidFile+".tmp", pidFile); err != nil {
		t.Fatal(err)
	}
	if res = d.Discover(); res.Reads != 1 {
		t.Errorf("after touching init.pid: %d reads, want 1", res.Reads)
	}
	if res = d.Discover(); res.Reads != 1 {
		t.Errorf("pass after a racy read: %d reads, want 1 (read again)", res.Reads)
	}
	d.cache.now = func() time.Time { return time.Now().Add(time.Minute) }
	d.Discover()
	if res = d.Discover(); res.Reads != 0 {
		t.Errorf("once settled: %d reads, want 0", res.Reads)
	}
}

// TestDiscoverMachinedLinks: machined's unit:... links beside the machine
// files are not machines.
func TestDiscoverMachinedLinks(t *testing.T) {
	dir := t.TempDir()
	machines := filepath.Join(dir, "run/systemd/machines")
	if err := os.MkdirAll(machines, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(machines, "web"), []byte("NAME=web\nCLASS=container\nLEADER=42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("web", filepath.Join(machines, "unit:machine-web.scope")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(machines, "vm1"), []byte("NAME=vm1\nCLASS=vm\nLEADER=43\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := NewDiscoverer(dir).Discover()
	if len(res.Records) != 1 || res.Records[0].Name != "web" || res.Records[0].PID != 42 {
		t.Errorf("records = %v", summaries(res))
	}
}

func find(res Result, id string) *Record {
	for i := range res.Records {
		if res.Records[i].ID == id {
			return &res.Records[i]
		}
	}
	return nil
}

func replace(data []byte, old, new string) []byte {
	s := string(data)
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return []byte(s[:i] + new + s[i+len(old):])
		}
	}
	return data
}

// A closed Discoverer holds no inotify instance and still discovers,
// checking directories with stat.
func TestDiscovererClose(t *testing.T) {
	dir := copyTree(t, "testdata/host")
	before := countInotify(t)
	d := NewDiscoverer(dir)
	if first := d.Discover(); len(first.Records) != 10 {
		t.Fatalf("found %d containers, want 10", len(first.Records))
	}
	if d.cache.watcher.fd >= 0 && countInotify(t) != before+1 {
		t.Errorf("inotify instances: %d before, %d while open; want one more", before, countInotify(t))
	}
	d.Close()
	if n := countInotify(t); n != before {
		t.Errorf("inotify instances after Close: %d, want %d", n, before)
	}
	if again := d.Discover(); len(again.Records) != 10 {
		t.Errorf("after Close found %d containers, want 10", len(again.Records))
	}
}

func countInotify(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l == "anon_inode:inotify" {
			n++
		}
	}
	return n
}
