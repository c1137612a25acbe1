package inspect

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLabRuncContainerV2 runs a runc container on the kernel lab's pure
// cgroup v2 host and checks its discovery there: one cgroup (hierarchy
// 0), the init runc state names, paused by cgroup.freeze.
func TestLabRuncContainerV2(t *testing.T) {
	if os.Getenv("NSCOPE_KERNLAB") != "1" {
		t.Skip("needs the kernel lab guest with cgroup v2 controllers (NSCOPE_KERNLAB=1): run go run ./cmd/kernlab")
	}
	requireRoot(t)
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("needs runc in the kernel lab's guest (cmd/kernlab puts no runc, libseccomp or libc into the initramfs yet)")
	}
	id := uniqueName("nscope-ct")
	bundle := runcBundle(t, "/"+id, "sleep", "600")
	t.Cleanup(func() { _ = exec.Command("runc", "delete", "-f", id).Run() })
	logFile, err := os.Create(filepath.Join(t.TempDir(), "runc.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("runc", "run", "-d", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logFile.Name())
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	var state struct{ PID int }
	inspectJSON(t, nil, &state, "runc", "state", id)
	snap := scanUntil(t, "the runc container", running("runc", id))
	c := byName(snap, "runc", id)
	checkKernelView(t, c, state.PID)
	if len(c.Cgroups) != 1 || c.Cgroups[0].Hierarchy != 0 || c.Cgroups[0].Path != "/"+id {
		t.Errorf("cgroups %+v, want only /%s in the v2 hierarchy", c.Cgroups, id)
	}
	if cgs := snap.ContainerCgroups(c); len(cgs) != 1 || cgs[0].Limits.Frozen == nil {
		t.Errorf("container cgroups %+v", cgs)
	}
	run(t, "runc", "pause", id)
	scanUntil(t, "the runc container paused", func(s *Snapshot) bool {
		c := byName(s, "runc", id)
		return c != nil && c.State == "paused"
	})
	run(t, "runc", "resume", id)
	if out := run(t, "runc", "state", id); !strings.Contains(out, `"running"`) {
		t.Errorf("runc state after resume: %s", out)
	}
}
