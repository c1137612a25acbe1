package main

import (
	"encoding/json"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/internal/sshtest"
	"github.com/nscope/nscope/internal/testutil"
)

// TestRemoteContainersFleet: "containers -H a,b,c" lists the containers
// of every host that answers (each with its host), says which host did
// not answer within the timeout, and exits 255; the hosts' lists are the
// local one. The container is an nscope run launch (a container of
// runtime nscope), so there is one on any machine.
func TestRemoteContainersFleet(t *testing.T) {
	h := startRemoteHost(t)
	name := testutil.UniqueName("nscope-fleet")
	run := exec.Command(nscopeBinary(t), "run", "--yes", "--cgroup-parent", cliCgroupParent(t), "--name", name, "--", "sleep", "120")
	run.Env = append(run.Environ(), "NSCOPE_STATE_DIR="+h.state)
	testutil.StartGroup(t, run)
	local := h.run(t, "", nil, "containers", "--json")
	testutil.WaitFor(t, "the launch listed as a container", func() bool {
		local = h.run(t, "", nil, "containers", "--json")
		return strings.Contains(local.stdout, name)
	})
	silent := "localhost:" + strconv.Itoa(sshtest.Silent(t))
	other := "127.0.0.1:" + strconv.Itoa(h.srv.Port)
	start := time.Now()
	res := h.run(t, "", h.env, "containers", "-H", h.target+","+other+","+silent, "--connect-timeout", "10s", "--json")
	took := time.Since(start)
	if res.code != exitUnreachable || !strings.Contains(res.stderr, silent) {
		t.Fatalf("containers over a host that never answers: exit %d, stderr %q; want %d naming %s", res.code, res.stderr, exitUnreachable, silent)
	}
	// Not a speed test: the silent host is given up on, not waited for.
	if took > time.Minute {
		t.Errorf("the listing took %s with a 10s connect timeout", took)
	}
	var doc struct {
		Hosts []struct {
			Host      string `json:"host"`
			Reachable bool   `json:"reachable"`
			Error     string `json:"error"`
		} `json:"hosts"`
		Containers []map[string]any `json:"containers"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, res.stdout)
	}
	var reach []string
	for _, hj := range doc.Hosts {
		reach = append(reach, hj.Host+"="+strconv.FormatBool(hj.Reachable))
		if !hj.Reachable {
			t.Logf("%s: %s", hj.Host, hj.Error)
		}
	}
	if diff := cmp.Diff([]string{h.target + "=true", other + "=true", silent + "=false"}, reach); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	// Other tests start and stop containers meanwhile: the ones listed
	// here before and after must be on both hosts' lists.
	after := h.run(t, "", nil, "containers", "--json")
	var before, later struct {
		Containers []map[string]any `json:"containers"`
	}
	if err := json.Unmarshal([]byte(local.stdout), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(after.stdout), &later); err != nil {
		t.Fatal(err)
	}
	ids := func(host string, list []map[string]any) []string {
		var out []string
		for _, c := range list {
			if host == "" || c["host"] == host {
				out = append(out, c["runtime"].(string)+":"+c["id"].(string))
			}
		}
		sort.Strings(out)
		return out
	}
	stable := map[string]bool{}
	for _, id := range ids("", later.Containers) {
		stable[id] = true
	}
	for _, host := range []string{h.target, other} {
		listed := map[string]bool{}
		for _, id := range ids(host, doc.Containers) {
			listed[id] = true
		}
		for _, id := range ids("", before.Containers) {
			if stable[id] && !listed[id] {
				t.Errorf("%s does not list %s, listed here before and after", host, id)
			}
		}
		if !listed["nscope:"+name] {
			t.Errorf("%s does not list the test's launch %s", host, name)
		}
	}
	table := h.run(t, "", h.env, "containers", "-H", h.target+","+other)
	if table.code != 0 || !strings.HasPrefix(table.stdout, "HOST ") || strings.Count(table.stdout, name) != 2 {
		t.Errorf("the fleet table: exit %d, stderr %q, stdout\n%s\nwant a HOST column and %s once per host", table.code, table.stderr, table.stdout, name)
	}
}
