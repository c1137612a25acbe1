package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/internal/testutil"
)

// TestEventNamer names a real docker container's cgroup as docker does
// ("docker:NAME"), a container started after the namer read the
// runtimes' files once rediscoverGap has passed (not before), and an ID
// no runtime knows by the short ID.
func TestEventNamer(t *testing.T) {
	cli := testutil.RequireDocker(t)
	fullID := func(name string) string {
		out, err := exec.Command(cli, "inspect", "-f", "{{.Id}}", name).Output()
		if err != nil {
			t.Fatalf("%s inspect %s: %v", cli, name, err)
		}
		return strings.TrimSpace(string(out))
	}
	first := testutil.DockerRun(t, cli, "nscope-namer", []string{"sh", "sleep"}, nil, "sleep", "1000")
	now := time.Now()
	n := newEventNamer("/", func() time.Time { return now })
	defer n.close()

	id := fullID(first)
	if got := n.name("/docker/" + id); got != "docker:"+first {
		t.Errorf("name of %s's cgroup = %q, want docker:%s", first, got, first)
	}
	if got := n.name("/docker/" + id + "/sub"); got != "docker:"+first {
		t.Errorf("a cgroup beneath %s's = %q, want docker:%s", first, got, first)
	}

	second := testutil.DockerRun(t, cli, "nscope-namer", []string{"sh", "sleep"}, nil, "sleep", "1000")
	id2 := fullID(second)
	if got := n.name("/docker/" + id2); got != "docker:"+id2[:12] {
		t.Errorf("a container new within rediscoverGap = %q, want the short ID docker:%s (no read per event)", got, id2[:12])
	}
	now = now.Add(rediscoverGap)
	if got := n.name("/docker/" + id2); got != "docker:"+second {
		t.Errorf("a container new after rediscoverGap = %q, want docker:%s", got, second)
	}

	unknown := strings.Repeat("ab", 32)
	if got := n.name("/docker/" + unknown); got != "docker:"+unknown[:12] {
		t.Errorf("an ID no runtime knows = %q, want docker:%s", got, unknown[:12])
	}
	if got := n.name("/user.slice/session-1.scope"); got != "" {
		t.Errorf("a cgroup of no container = %q, want none", got)
	}
}
