package tui

import (
	"context"
	"strconv"
	"testing"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// TestShellChecklistDockerContainer opens x on a real docker container's
// init: the checklist names the container and shows, item by item, what
// the shell takes from it (each cgroup hierarchy, whether its limits
// apply there, the user, capabilities, seccomp), and ticking privileged
// shows nscope's full root instead. Nothing is entered.
func TestShellChecklistDockerContainer(t *testing.T) {
	cli := testutil.RequireDocker(t)
	name := testutil.DockerRun(t, cli, "nscope-tui", []string{"sh", "sleep"}, []string{"--user", "65534", "--memory", "64m"}, "sleep", "1000")
	pid, _ := strconv.Atoi(testutil.RunEnv(t, nil, cli, "inspect", "-f", "{{.State.Pid}}", name))
	snap, err := inspect.New(inspect.WithFDs(false), inspect.WithMounts(false), inspect.WithBPF(false)).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := snap.ContainerOf(pid); c == nil || c.Name != name {
		t.Fatalf("the scan does not put %d in container %s: %+v", pid, name, c)
	}
	m := liveModelWith(t, Options{EUID: asUID(0), Enterer: control.NewEnterer(control.WithEnterExecutor(&enterFake{}))}, 160, 60, snap)
	selectProcess(t, m, pid)
	d := newFlowDriver(t, m)
	d.keys("x")
	awaitMsg[shellPlannedMsg](d, "the plan")
	d.wantDialog("— docker container "+name, "privileged: nscope's full root",
		"cgroup memory /docker/", "its memory limits apply",
		"user uid 65534, gid 0, the target's", "bounding 00000000a80425fb (14)",
		"seccomp 1 filter(s)", "copied from the target")
	// Down to the privileged preset (after the 8 types and host tools).
	keys := []string{}
	for range int(inspect.NumNSTypes) + 1 {
		keys = append(keys, "down")
	}
	d.keys(append(keys, " ")...)
	awaitMsg[shellPlannedMsg](d, "the plan for privileged")
	d.wantDialog("[x] privileged", "identity nscope's full root (--privileged)", "warning --privileged")
}
