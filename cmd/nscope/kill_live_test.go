package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// startSleepers starts a shell in dirs' cgroups that forks n subshells,
// each blocked reading a FIFO nobody writes (forks without an exec: a
// thousand start in a fraction of a second), and waits until all are
// members. The cleanup kills every member of dirs.
func startSleepers(t *testing.T, n int, dirs ...string) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("/bin/sh", "-c", fmt.Sprintf(`read go; exec 3<>"$0"; i=0; while [ $i -lt %d ]; do (read x <&3) & i=$((i+1)); done; echo started; wait`, n), fifo)
	in, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sh.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Thawed first, or the killed members could not exit.
		for _, d := range dirs {
			_ = os.WriteFile(filepath.Join(d, "freezer.state"), []byte("THAWED"), 0)
		}
		for _, d := range dirs {
			data, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		_ = sh.Process.Kill()
		_ = sh.Wait()
	})
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(sh.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Fprintln(in, "go")
	if line, _ := bufio.NewReader(out).ReadString('\n'); strings.TrimSpace(line) != "started" {
		t.Fatalf("the shell did not start its subshells: %q", line)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(filepath.Join(dirs[0], "cgroup.procs"))
		if len(strings.Fields(string(data))) >= n+1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d subshells are in %s", len(strings.Fields(string(data))), n, dirs[0])
		}
	}
}

// TestKillCLIInterruptedThenUndoLive kills nscope with SIGKILL while its
// kill of 1,500 processes has their v1 cgroup frozen. The freeze was
// journaled as the kill's, so "nscope undo" thaws the cgroup; before, the
// cgroup stayed FROZEN and undo said it was already frozen.
func TestKillCLIInterruptedThenUndoLive(t *testing.T) {
	needRootCLI(t)
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil || layout.ForController("freezer") == nil || layout.ForController("freezer").Version != 1 ||
		layout.ForController("pids") == nil || layout.ForController("pids").Version != 1 {
		t.Skip("needs the v1 freezer and pids controllers")
	}
	for _, c := range []string{"freezer", "pids"} {
		if own := ownCgroupIn(t, layout.ForController(c).ID); own != "/" {
			t.Skipf("our %s cgroup is %s, not the root", c, own)
		}
	}
	state := t.TempDir()
	bin := nscopeBinary(t)
	for attempt := 1; ; attempt++ {
		rel := fmt.Sprintf("/nscope-test-%d-%08x", os.Getpid(), rand.Uint32())
		freezerDir := liveV1Dir(t, layout, "freezer", rel)
		pidsDir := liveV1Dir(t, layout, "pids", rel)
		startSleepers(t, 1500, pidsDir, freezerDir)
		journal := filepath.Join(state, "journal.jsonl")
		before, _ := os.ReadFile(journal)

		kill := exec.Command(bin, "kill", rel, "--yes")
		kill.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+state)
		if err := kill.Start(); err != nil {
			t.Fatal(err)
		}
		// The moment the kill's freeze is journaled as done, stop nscope
		// the hard way: no thaw can run.
		frozen := false
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
			data, _ := os.ReadFile(journal)
			for _, line := range strings.Split(string(data[len(before):]), "\n") {
				if strings.Contains(line, `"action":"freeze"`) && strings.Contains(line, `"phase":"after"`) {
					frozen = true
				}
			}
			if frozen {
				break
			}
			time.Sleep(500 * time.Microsecond)
		}
		_ = kill.Process.Kill()
		_ = kill.Wait()
		if !frozen {
			t.Fatal("the kill never journaled its freeze")
		}
		cur, _ := os.ReadFile(filepath.Join(freezerDir, "freezer.state"))
		if strings.TrimSpace(string(cur)) == "THAWED" {
			// nscope got to its thaw before the SIGKILL landed: try again.
			if attempt < 3 {
				t.Logf("attempt %d: nscope thawed before it was killed; again", attempt)
				continue
			}
			t.Fatal("three times nscope thawed before it could be killed")
		}

		res := runNscopeIn(t, state, "undo")
		if res.code != 0 || !strings.Contains(res.stdout, "freezer.state") {
			t.Fatalf("undo after the interrupted kill: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			s, _ := os.ReadFile(filepath.Join(freezerDir, "freezer.state"))
			if strings.TrimSpace(string(s)) == "THAWED" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("freezer.state after undo = %q, want THAWED", s)
			}
		}
		hist := runNscopeIn(t, state, "history")
		if !strings.Contains(hist.stdout, "freeze (kill)") || !strings.Contains(hist.stdout, "undone by") {
			t.Errorf("history does not show the kill's freeze undone:\n%s", hist.stdout)
		}
		return
	}
}

// runNscopeIn runs the binary with the journal in state.
func runNscopeIn(t *testing.T, state string, args ...string) cliResult {
	t.Helper()
	t.Setenv("NSCOPE_STATE_DIR", state)
	cmd := exec.Command(nscopeBinary(t), args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}
