package inspect

import (
	"encoding/json"
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// TestLabRuncContainerV2 runs a runc container on the kernel lab's pure
// cgroup v2 host and checks its discovery there: runc's state names it,
// its init is the PID runc state gives, its only cgroup is the one it
// asked for in the v2 hierarchy, and runc pause (cgroup.freeze) shows as
// paused. kernlab -extra runc puts runc and a busybox root file system at
// /lab/rootfs into the guest.
func TestLabRuncContainerV2(t *testing.T) {
	labproto.Need(t, labproto.CgroupV2)
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("no runc in the guest: run kernlab with -extra runc (make kernlab does)")
	}
	id := testutil.UniqueName("nscope-ct")
	bundle := t.TempDir()
	if out, err := exec.Command("runc", "spec", "--bundle", bundle).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	var spec map[string]any
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err == nil {
		err = json.Unmarshal(data, &spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	spec["root"] = map[string]any{"path": "/lab/rootfs", "readonly": true}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"/bin/sleep", "600"}
	spec["linux"].(map[string]any)["cgroupsPath"] = "/" + id
	if data, err = json.Marshal(spec); err == nil {
		err = os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("runc", "delete", "-f", id).Run() })
	logFile, err := os.Create(filepath.Join(t.TempDir(), "runc.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	// The guest's root is the initramfs, which pivot_root(2) cannot move.
	cmd := exec.Command("runc", "run", "-d", "--no-pivot", "--bundle", bundle, id)
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
	testutil.Run(t, "runc", "pause", id)
	scanUntil(t, "the runc container paused", func(s *Snapshot) bool {
		c := byName(s, "runc", id)
		return c != nil && c.State == "paused"
	})
	testutil.Run(t, "runc", "resume", id)
	if out := testutil.Run(t, "runc", "state", id); !strings.Contains(out, `"running"`) {
		t.Errorf("runc state after resume: %s", out)
	}
}
