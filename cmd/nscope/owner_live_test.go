package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nscope/nscope/internal/testutil"
)

// Set and freeze on a docker container's cgroup name docker, what it
// believes and its own command; the drift shows in nscope containers; a
// docker update that overwrites nscope's value makes undo refuse.
func TestOwnerNotesAndDriftDocker(t *testing.T) {
	cli := testutil.RequireDocker(t)
	name := testutil.DockerRun(t, cli, "nscope-owner", []string{"sh", "sleep"}, []string{"--memory", "64m"}, "sleep", "1000")
	id := testutil.RunEnv(t, nil, cli, "inspect", "-f", "{{.Id}}", name)
	cg := "/docker/" + id
	memDir := "/sys/fs/cgroup/memory" + cg
	if _, err := os.Stat(memDir); err != nil {
		t.Skipf("docker's memory cgroup is not %s (cgroup v1 with the cgroupfs driver): %v", memDir, err)
	}
	_, memswErr := os.Stat(filepath.Join(memDir, "memory.memsw.limit_in_bytes"))
	state := t.TempDir()

	// --memory 256M on a 64 MiB container: memsw (128 MiB) rises first.
	set := runNscopeIn(t, state, "set", cg, "--cpu", "0.2", "--memory", "256M", "--yes")
	if set.code != 0 {
		t.Fatalf("set: exit %d: %s%s", set.code, set.stdout, set.stderr)
	}
	persist := "to make it docker's own: docker update --cpus 0.2 --memory 256m --memory-swap 320m " + name
	believes := "docker believes: no cpu limit, memory 64 MiB, memory+swap 128 MiB, no pids limit"
	if memswErr != nil {
		persist = "to make it docker's own: docker update --cpus 0.2 --memory 256m " + name
		believes = "docker believes: no cpu limit, memory 64 MiB"
	}
	for _, want := range []string{
		"owner: owned by docker container " + name + " (running); " + believes,
		`owner: docker will not know of this change: "docker inspect" keeps showing its own values, and "docker update" or a restart may overwrite nscope's`,
		"owner: " + persist,
	} {
		if !strings.Contains(set.stdout, want) {
			t.Errorf("set output lacks %q:\n%s", want, set.stdout)
		}
	}
	if got := strings.TrimSpace(readFile(t, filepath.Join(memDir, "memory.limit_in_bytes"))); got != "268435456" {
		t.Errorf("memory.limit_in_bytes = %s after set --memory 256M, want 268435456", got)
	}
	if mem := testutil.RunEnv(t, nil, cli, "inspect", "-f", "{{.HostConfig.Memory}}", name); mem != "67108864" {
		t.Errorf("docker inspect says Memory %s; docker should still believe its own 67108864", mem)
	}
	journal := readFile(t, filepath.Join(state, "journal.jsonl"))
	if !strings.Contains(journal, `"owner":{"manager":"docker","name":"`+name+`"`) || !strings.Contains(journal, persist) {
		t.Errorf("the journal does not keep the owner note:\n%s", journal)
	}

	// Drift: both limits differ from docker's belief.
	ls := runNscopeIn(t, state, "containers", name)
	for _, want := range []string{"256 MiB*", "20% of 1 CPU*", "docker:" + name + ": memory 256 MiB in force, the runtime believes 64 MiB",
		"docker:" + name + ": cpu 20% of 1 CPU in force, the runtime believes unlimited"} {
		if !strings.Contains(ls.stdout+ls.stderr, want) {
			t.Errorf("nscope containers lacks %q:\n%s%s", want, ls.stdout, ls.stderr)
		}
	}
	var js struct {
		Drift []struct {
			Container string
			Limits    []struct{ Limit, Believed, Actual string }
		}
	}
	if err := json.Unmarshal([]byte(runNscopeIn(t, state, "containers", name, "--json").stdout), &js); err != nil || len(js.Drift) != 1 || len(js.Drift[0].Limits) != 2 {
		t.Errorf("containers --json drift %+v (%v), want cpu and memory of %s", js.Drift, err, name)
	}

	// docker update overwrites nscope's memory: docker's value is in
	// force again, the cpu still drifts, and undo refuses to write over
	// docker's value.
	testutil.RunEnv(t, nil, cli, "update", "--memory", "96m", "--memory-swap", "192m", name)
	ls = runNscopeIn(t, state, "containers", name)
	if !strings.Contains(ls.stdout, "96 MiB ") || strings.Contains(ls.stdout, "96 MiB*") || !strings.Contains(ls.stdout, "20% of 1 CPU*") {
		t.Errorf("after docker update: want memory 96 MiB unmarked and the cpu still marked:\n%s", ls.stdout)
	}
	undo := runNscopeIn(t, state, "undo", cg)
	if undo.code == 0 || !strings.Contains(undo.stderr, "it was changed since") {
		t.Errorf("undo after docker update: exit %d, %q; want a refusal (changed since)", undo.code, undo.stderr)
	}

	// Freeze: docker's pause is the coherent choice; docker ps keeps
	// saying Up meanwhile.
	fr := runNscopeIn(t, state, "freeze", cg, "--yes")
	t.Cleanup(func() { runNscopeIn(t, state, "thaw", cg, "--yes") })
	for _, want := range []string{
		`owner: docker will not know it is frozen: "docker ps" keeps showing it Up, "docker pause" then fails and "docker unpause" says it is not paused`,
		`owner: "docker pause ` + name + `" is the coherent choice`,
	} {
		if fr.code != 0 || !strings.Contains(fr.stdout, want) {
			t.Errorf("freeze: exit %d, output lacks %q:\n%s%s", fr.code, want, fr.stdout, fr.stderr)
		}
	}
	if st := testutil.RunEnv(t, nil, cli, "ps", "--filter", "name=^"+name+"$", "--format", "{{.Status}}"); !strings.HasPrefix(st, "Up") || strings.Contains(st, "Paused") {
		t.Errorf("docker ps says %q while nscope froze it; the note says Up", st)
	}
	if th := runNscopeIn(t, state, "thaw", cg, "--yes"); th.code != 0 || !strings.Contains(th.stdout, "docker did not pause it") {
		t.Errorf("thaw: exit %d:\n%s%s", th.code, th.stdout, th.stderr)
	}
}

// podman's own update is named for a podman container.
func TestOwnerNotesPodman(t *testing.T) {
	env := testutil.PodmanEnv(t)
	name := testutil.UniqueName("nscope-owner")
	img := "localhost/nscope-owner/busybox:" + name[len("nscope-owner-"):]
	testutil.ImportBusybox(t, "podman", img, env, "sh", "sleep")
	t.Cleanup(func() {
		c := exec.Command("podman", "rm", "-f", "-t", "0", name)
		c.Env = append(os.Environ(), env...)
		_ = c.Run()
	})
	testutil.RunEnv(t, env, "podman", "run", "-d", "--name", name, "--network", "none", "--pids-limit", "100", img, "sleep", "1000")
	pid := testutil.RunEnv(t, env, "podman", "inspect", "-f", "{{.State.Pid}}", name)
	var cg string
	for _, l := range strings.Split(readFile(t, "/proc/"+pid+"/cgroup"), "\n") {
		if rest, ok := strings.CutPrefix(l, "0::"); ok {
			cg = rest
		}
	}
	if cg == "" {
		t.Fatalf("no v2 cgroup line for podman's container %s", pid)
	}
	res := runNscope(t, "", "set", cg, "--pids", "50", "--dry-run")
	for _, want := range []string{"owner: owned by podman container " + name + " (running); podman believes: no cpu limit, no memory limit, pids 100",
		"owner: to make it podman's own: podman update --pids-limit 50 " + name} {
		if res.code != 0 || !strings.Contains(res.stdout, want) {
			t.Errorf("set --dry-run: exit %d, output lacks %q:\n%s%s", res.code, want, res.stdout, res.stderr)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
