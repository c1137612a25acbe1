package inspect_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// TestBPFMatchesProcfs scans this host through /proc alone and through
// the BPF task iterators and checks that every process both saw has the
// same namespaces, PIDs at every level, cgroups and effective UID.
func TestBPFMatchesProcfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the BPF iterators need CAP_BPF and CAP_PERFMON")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skipf("kernel without BTF: %v", err)
	}
	compareScanMethods(t)
}

// TestLabBPFMatchesProcfs does the same on the kernel lab's older
// kernel (Debian's 6.1, where sysfs cannot mmap the BTF and the verifier
// is older).
func TestLabBPFMatchesProcfs(t *testing.T) {
	labNeed(t)
	compareScanMethods(t)
}

func compareScanMethods(t *testing.T) {
	t.Helper()
	// A process in a nested pid namespace, with its own uts and ipc, so
	// that the comparison covers NSpid beyond the first level.
	cmd := exec.Command("unshare", "--fork", "--pid", "--uts", "--ipc", "sleep", "600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("unshare: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	children := fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(children); len(strings.TrimSpace(string(b))) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("unshare --fork --pid started no child within 10 s")
		}
	}
	s := inspect.New()
	if err := s.BPFErr(); err != nil {
		t.Fatalf("BPF iterators do not load: %v", err)
	}
	withBPF, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	procfs, err := inspect.New(inspect.WithBPF(false)).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if withBPF.ScanMethod != "bpf" || procfs.ScanMethod != "procfs" {
		t.Fatalf("scan methods %q and %q, want bpf and procfs", withBPF.ScanMethod, procfs.ScanMethod)
	}
	compared, nested := 0, 0
	for _, a := range withBPF.Processes {
		b := procfs.Process(a.PID)
		if b == nil || !b.StartTime.Equal(a.StartTime) || a.State == "Z" || b.State == "Z" ||
			a.NS[inspect.UserNS].IsZero() || b.NS[inspect.UserNS].IsZero() {
			continue // gone, reused, exiting, or unreadable through /proc
		}
		compared++
		if len(a.NSpid) > 1 {
			nested++
		}
		if diff := cmp.Diff(b.NS, a.NS); diff != "" {
			t.Errorf("process %d (%s) namespaces (-procfs +bpf):\n%s", a.PID, a.Comm, diff)
		}
		if a.PIDForChildren != b.PIDForChildren || a.TimeForChildren != b.TimeForChildren {
			t.Errorf("process %d (%s) for-children namespaces: bpf %v %v, procfs %v %v",
				a.PID, a.Comm, a.PIDForChildren, a.TimeForChildren, b.PIDForChildren, b.TimeForChildren)
		}
		if diff := cmp.Diff(b.NSpid, a.NSpid); diff != "" {
			t.Errorf("process %d (%s) NSpid (-procfs +bpf):\n%s", a.PID, a.Comm, diff)
		}
		// Read once per css_set with the iterator, once per process without.
		if diff := cmp.Diff(b.Cgroups, a.Cgroups); diff != "" {
			t.Errorf("process %d (%s) cgroups (-procfs +bpf):\n%s", a.PID, a.Comm, diff)
		}
		// /proc/PID's owner is root for a process that is not dumpable;
		// the iterator reads the effective UID itself.
		if a.UID != b.UID && b.UID != 0 {
			t.Errorf("process %d (%s) uid: bpf %d, procfs %d", a.PID, a.Comm, a.UID, b.UID)
		}
	}
	// The owners and parents the iterator read, against the nsfs ioctls.
	nsCompared := 0
	for _, b := range procfs.Namespaces {
		a := withBPF.Namespace(b.ID)
		if a == nil {
			continue // gone between the scans
		}
		nsCompared++
		if a.Owner != b.Owner || a.Parent != b.Parent || a.OwnerUID != b.OwnerUID || a.Level != b.Level {
			t.Errorf("%s namespace %v: bpf owner %v parent %v uid %d level %d; procfs %v %v %d %d",
				b.Type, b.ID, a.Owner, a.Parent, a.OwnerUID, a.Level, b.Owner, b.Parent, b.OwnerUID, b.Level)
		}
	}
	if nsCompared < len(procfs.Namespaces)/2 {
		t.Errorf("compared only %d of %d namespaces", nsCompared, len(procfs.Namespaces))
	}
	if nested == 0 {
		t.Error("no process in a nested pid namespace was compared")
	}
	if compared < len(procfs.Processes)/2 {
		t.Errorf("compared only %d of %d processes", compared, len(procfs.Processes))
	}
	t.Logf("%d processes and %d namespaces compared, %d processes in nested pid namespaces; kernel %s", compared, nsCompared, nested,
		strings.TrimSpace(withBPF.Host.Kernel))
}
