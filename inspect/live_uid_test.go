package inspect

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/nscope/nscope/internal/testutil"
)

// TestLiveUser checks the user of processes running as nobody, both in
// the scanner's pid namespace (read from the owner of /proc/PID) and in a
// nested one (read from status, with the NSpid chain).
func TestLiveUser(t *testing.T) {
	testutil.RequireRoot(t, "runs a process as another user in a new pid namespace")
	testutil.RequireTools(t, "unshare", "sleep")
	asNobody := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
		return cmd
	}
	flat := asNobody("sleep", "1000")
	// Root makes the pid namespace, then the sleeper drops to nobody.
	nested := testutil.StartProc(t, "unshare", "--pid", "--fork", "--kill-child", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "1000")
	chain := testutil.WaitDescendant(t, nested.Process.Pid, 1, "sleep")
	snap := liveScan(t, WithCgroups(false))
	for _, pid := range []int{flat.Process.Pid, chain[1]} {
		p := snap.Process(pid)
		if p == nil {
			t.Fatalf("no process %d", pid)
		}
		if p.UID != 65534 {
			t.Errorf("process %d uid %d user %q, want 65534", pid, p.UID, p.User)
		}
	}
	if got := snap.Process(chain[1]).NSpid; len(got) != 2 || got[1] != 1 {
		t.Errorf("nested sleeper NSpid = %v, want [pid 1]", got)
	}
	if got := snap.Process(flat.Process.Pid).NSpid; len(got) != 1 {
		t.Errorf("host sleeper NSpid = %v, want just its PID", got)
	}
}
