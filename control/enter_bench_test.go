package control

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// BenchmarkEnterTrue measures a whole enter: plan (read /proc), start the
// helper, pin, join every namespace of a target made with unshare, fork
// into its pid namespace, exec true, wait.
func BenchmarkEnterTrue(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: creates namespaces with unshare and enters them")
	}
	cmd := exec.Command("unshare", "--fork", "--pid", "--mount-proc", "--net", "--uts", "--ipc", "--kill-child", "sleep", "1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Skipf("unshare: %v", err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	target := 0
	for target == 0 {
		target = firstChild(cmd.Process.Pid)
	}
	e := NewEnterer()
	b.ResetTimer()
	for b.Loop() {
		c, err := e.Enter(EnterRequest{PID: target, Command: []string{"true"}})
		if err != nil {
			b.Fatal(err)
		}
		c.SetStdout(io.Discard)
		if err := c.Run(); err != nil {
			b.Fatal(err)
		}
	}
}
