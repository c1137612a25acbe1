package tui

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/nscope/nscope/internal/testutil"
)

// TestContainersEndToEndLive runs the built binary in tmux on this host
// with a live docker container: 4 opens the Containers view, the filter
// finds the container by its compose project, its details show its image
// and limits, enter follows the link to its init in the Processes view,
// esc comes back, i explains it, q quits and the terminal is restored.
func TestContainersEndToEndLive(t *testing.T) {
	docker := testutil.RequireDocker(t)
	u := testutil.UniqueName("nscope-e2e-ct")
	img := "nscope-e2e/busybox:" + strings.ReplaceAll(u, "nscope-e2e-ct-", "t")
	testutil.ImportBusybox(t, docker, img, nil)
	t.Cleanup(func() { _ = exec.Command(docker, "rm", "-f", "-v", u).Run() })
	testutil.Run(t, docker, "run", "-d", "--name", u, "--network", "none", "--cpus", "0.5", "-m", "48m",
		"-l", "com.docker.compose.project="+u+"-proj", "-l", "com.docker.compose.service=web", img, "sleep", "600")
	pid := strings.TrimSpace(testutil.Run(t, docker, "inspect", "-f", "{{.State.Pid}}", u))

	bin := buildBinary(t)
	tm := newTmuxTerm(t, 160, 40)
	tm.sendText(bin + " --interval 1s")
	tm.send("Enter")
	tm.waitText("updated")
	tm.send("4")
	tm.waitText("NAME ")
	tm.waitText("RUNTIME")
	tm.send("/")
	tm.sendText(u + "-proj")
	tm.send("Enter")
	tm.waitText("─ Container docker:" + u)
	tm.waitText("compose     project " + u + "-proj, service web")
	tm.waitText(img)
	tm.waitText("50% of 1 CPU · 50% of 1 CPU")
	tm.waitText("48 MiB · 48 MiB")

	// The first link is its init: follow it and come back.
	tm.send("Enter")
	tm.waitText("▶ init " + pid + " sleep 600")
	tm.send("Enter")
	tm.waitText("─ Process " + pid + " sleep")
	tm.waitText("container " + u)
	tm.send("Escape")
	tm.waitText("─ Container docker:" + u)
	tm.send("Escape")
	// Esc and a key sent together read as alt+key: wait for the list to
	// have the keys again.
	tm.waitText("tab view")

	tm.send("i")
	tm.waitText("is a docker container")
	tm.send("Escape")
	tm.waitFor("the lesson to close", func(s string) bool { return !strings.Contains(s, "is a docker container") })

	tm.send("q")
	checkRestored(t, tm)
	if _, err := strconv.Atoi(pid); err != nil {
		t.Errorf("docker inspect gave PID %q", pid)
	}
}
