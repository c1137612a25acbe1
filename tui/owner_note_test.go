package tui

import (
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// withDockerWeb makes the small fixture's docker scope the cgroup of a
// docker container "web" that believes a 64 MiB memory limit and no CPU
// limit.
func withDockerWeb(t *testing.T, snap *inspect.Snapshot) (*inspect.Snapshot, *inspect.Cgroup) {
	t.Helper()
	const scope = "docker-9a3c1e7d5b2f4a6c8e0d1f3b5a7c9e1d3f5b7a9c1e3d5f7b9a1c3e5d7f9b1a3c.scope"
	ref := inspect.ContainerRef{Runtime: "docker", ID: "9a3c1e7d5b2f4a6c8e0d1f3b5a7c9e1d3f5b7a9c1e3d5f7b9a1c3e5d7f9b1a3c"}
	var own *inspect.Cgroup
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		if strings.HasSuffix(c.Path, "/"+scope) {
			c.Container, own = ref, c
		}
	}
	if own == nil {
		t.Fatalf("no %s in the fixture", scope)
	}
	mem := int64(64 << 20)
	snap.Containers = append(snap.Containers, inspect.Container{Runtime: "docker", ID: ref.ID, Name: "web", State: "running",
		Limits: inspect.ContainerLimits{MemoryMax: &mem}, Cgroups: []inspect.ProcCgroup{{Hierarchy: own.Hierarchy, Path: own.Path}}})
	snap.Reindex()
	return snap, snap.Cgroup(own.Hierarchy, own.Path)
}

// TestLimitsPreviewNamesTheOwner: a limit change on a docker container's
// cgroup shows, in the preview, docker's belief, that it will not know,
// and docker update with the new value; the change needs a typed y.
func TestLimitsPreviewNamesTheOwner(t *testing.T) {
	load := func() *inspect.Snapshot { s, _ := withDockerWeb(t, loadFixture(t, "small-2")); return s }
	h := newFakeHost(t, load())
	d := limitsApp(t, 160, 60, h, load)
	d.keys("3", "/", "docker-9a3c", "enter")
	d.keys("c", "0.25", "enter")
	d.awaitPlan()
	d.wantDialog("Owner:",
		"owned by docker container web (running); docker believes: no cpu limit, memory 64 MiB, no pids limit",
		`docker will not know of this change: "docker inspect" keeps showing its own values`,
		"to make it docker's own: docker update --cpus 0.25 web",
		"is docker container web's cgroup: docker will not know of this change",
	)
}

// TestCgroupDetailMarksDrift: the cgroup detail of a docker container
// names its owner and marks a limit that differs from docker's belief.
func TestCgroupDetailMarksDrift(t *testing.T) {
	snap, cg := withDockerWeb(t, loadFixture(t, "small-2"))
	mem := int64(256 << 20)
	cg.Limits.MemoryMax = &mem
	ix := procview.NewIndex(snap, nil)
	b := cgroupDetail(ix, nil, ix.MergedCgroup(cg.Path), true)
	var text []string
	for _, l := range b.lines {
		var s strings.Builder
		for _, sg := range l.segs {
			s.WriteString(sg.text)
		}
		text = append(text, s.String())
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"docker container web (running)", "memory 256 MiB in force, docker believes 64 MiB"} {
		if !strings.Contains(all, want) {
			t.Errorf("the detail lacks %q:\n%s", want, all)
		}
	}
}
