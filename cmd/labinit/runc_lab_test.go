package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// TestLabRuncRunsABusyboxContainer shows how a guest test runs a real
// container: kernlab -extra runc puts the host's runc (with its
// libraries) into /bin and a busybox root file system at /lab/rootfs; the
// test writes an OCI bundle whose root is that directory, read-only, and
// runs it with --no-pivot (the guest's root is the initramfs, which
// pivot_root cannot move). It applies to the v2 guests, and skips where kernlab ran
// without -extra runc.
func TestLabRuncRunsABusyboxContainer(t *testing.T) {
	labproto.Need(t, labproto.CgroupV2)
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("no runc in the guest: run kernlab with -extra runc")
	}
	bundle := t.TempDir()
	spec := exec.Command(runc, "spec", "--bundle", bundle)
	if out, err := spec.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	var cfg map[string]any
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["root"] = map[string]any{"path": "/lab/rootfs", "readonly": true}
	proc := cfg["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"/bin/sh", "-c", "hostname; cat /proc/self/cgroup"}
	cfg["hostname"] = "lab-container"
	data, err = json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// The guest's root is the initramfs, which pivot_root(2) cannot move:
	// runc chroots instead.
	out, err := exec.Command(runc, "run", "--no-pivot", "--bundle", bundle, "lab-runc-test").CombinedOutput()
	if err != nil {
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 2 || lines[0] != "lab-container" || lines[1] != "0::/" {
		t.Errorf("the container printed %q, want its hostname and 0::/ (its own cgroup namespace)", out)
	}
}
