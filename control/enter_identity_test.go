package control

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/control/nsexec"
	"github.com/nscope/nscope/inspect"
)

// identityFixture is a fake /proc and /sys in which process 42 is a docker
// container's init run with --user 65534 on an AppArmor host.
type identityFixture struct {
	proc, sys string
}

func newIdentityFixture(t *testing.T, shared ...inspect.NSType) identityFixture {
	t.Helper()
	proc := fixtureProc{shared: shared, shells: []string{"bin/sh"}, selfCgroup: "/", theirCgroup: "/docker/ab"}.build(t)
	sys := t.TempDir()
	f := identityFixture{proc: proc, sys: sys}
	f.write(t, "proc", "42/status", dockerStatus)
	f.write(t, "proc", "42/environ", "PATH=/usr/local/bin:/bin\x00HOSTNAME=ab\x00HOME=/\x00_NSCOPE_NSEXEC=init\x00")
	f.write(t, "proc", "42/root/etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n")
	f.write(t, "proc", "42/root/etc/group", "root:x:0:\nwheel:x:10:app\napp:x:1000:\n")
	f.write(t, "proc", "42/attr/apparmor/current", "docker-default (enforce)\n")
	f.write(t, "proc", "self/attr/apparmor/current", "unconfined\n")
	f.write(t, "sys", "kernel/security/lsm", "lockdown,capability,landlock,yama,apparmor")
	if err := os.Symlink("/srv/app", filepath.Join(proc, "42/cwd")); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f identityFixture) write(t *testing.T, root, path, data string) {
	t.Helper()
	base := f.proc
	if root == "sys" {
		base = f.sys
	}
	p := filepath.Join(base, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// enterer returns an Enterer over the fixture whose seccomp reader
// returns filters or err.
func (f identityFixture) enterer(filters []nsexec.SeccompFilter, err error) *Enterer {
	e := NewEnterer(WithEnterProcRoot(f.proc), WithEnterSysRoot(f.sys), WithEnterLayout(v2Layout))
	e.seccomp = func(int) ([]nsexec.SeccompFilter, error) { return filters, err }
	return e
}

var (
	web       = &EnterContainer{Runtime: "docker", ID: "ab", Name: "web"}
	oneFilter = []nsexec.SeccompFilter{{Insns: make([]byte, 8*974)}}
)

func TestPlanTakesTheContainersIdentity(t *testing.T) {
	t.Setenv("TERM", "xterm-test")
	f := newIdentityFixture(t, inspect.UserNS, inspect.CgroupNS, inspect.TimeNS)
	plan, err := f.enterer(oneFilter, nil).Plan(EnterRequest{PID: 42, Container: web})
	if err != nil {
		t.Fatal(err)
	}
	want := &EnterIdentity{FromTarget: true, UID: 65534, GID: 0, Groups: []int64{0}, SetGroups: true, User: "nobody",
		Caps: &CapSets{Bounding: 0xa80425fb}, SeccompMode: 2, Seccomp: oneFilter, SeccompInsns: 974,
		LSM: &nsexec.LSMLabel{Module: "apparmor", Label: "docker-default"}, LSMNote: "apparmor label docker-default, for exec", Cwd: "/srv/app"}
	if diff := cmp.Diff(want, plan.Identity); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}
	// The target's environment without nscope's variable; TERM only at
	// start, from a terminal.
	if diff := cmp.Diff([]string{"PATH=/usr/local/bin:/bin", "HOSTNAME=ab", "HOME=/"}, plan.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1 entries of the target's environment were left out: not NAME=VALUE, nscope's own _NSCOPE_ variables, or beyond 4096 entries"}, plan.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if cfg := plan.config(true); !strings.Contains(strings.Join(cfg.Env, " "), "TERM=xterm-test") || cfg.Identity.UID != 65534 || len(cfg.Identity.Seccomp) != 1 {
		t.Errorf("helper config %+v lacks TERM on a terminal, the uid or the filter", cfg)
	}
	items := map[string]string{}
	for _, it := range plan.Items() {
		items[it.Label] = it.Value
	}
	for label, want := range map[string]string{
		"container":      "docker container web",
		"cgroup v2":      "/docker/ab membership only: no controller, so no limit of the target's, lives in this hierarchy",
		"user":           "uid 65534 (nobody), gid 0, the target's",
		"capabilities":   "bounding 00000000a80425fb (14)",
		"seccomp":        "1 filter(s), 974 instructions, copied from the target; installed before dropping privileges",
		"security label": "apparmor docker-default, for exec",
		"working dir":    "/srv/app",
		"environment":    "3 variables, the target's (TERM from yours on a terminal): HOME HOSTNAME PATH",
	} {
		if !strings.Contains(items[label], want) {
			t.Errorf("item %s = %q, want %q in it", label, items[label], want)
		}
	}
}

func TestPlanIdentityChoices(t *testing.T) {
	t.Setenv("TERM", "xterm-test")
	t.Setenv("NSCOPE_TEST_FROM_CALLER", "from-us")
	tests := []struct {
		name      string
		req       EnterRequest
		seccomp   error
		noLSM     bool
		wantUID   int64
		wantNoID  bool
		wantEnv   []string
		wantWarn  string
		wantItem  string
		wantErrIs error
	}{
		{name: "plain process: root, nscope's clean environment", req: EnterRequest{PID: 42},
			wantNoID: true, wantEnv: []string{"PATH=" + enterPath, "HOME=/root", "TERM=xterm-test"}, wantItem: "root, with nscope's capabilities"},
		{name: "privileged: full root and a warning", req: EnterRequest{PID: 42, Container: web, Privileged: true},
			wantNoID: true, wantWarn: "--privileged: the command runs as nscope's full root inside docker container web", wantItem: "nscope's full root (--privileged)"},
		{name: "--user by name: its groups and home", req: EnterRequest{PID: 42, Container: web, User: "app"},
			wantUID: 1000, wantEnv: []string{"PATH=/usr/local/bin:/bin", "HOSTNAME=ab", "HOME=/home/app"}, wantItem: "uid 1000 (app), gid 1000"},
		{name: "--user on a plain process", req: EnterRequest{PID: 42, User: "app"},
			wantUID: 1000, wantEnv: []string{"PATH=" + enterPath, "HOME=/home/app", "TERM=xterm-test"}},
		{name: "--env sets, overrides, copies ours, drops what we lack", req: EnterRequest{PID: 42, Container: web,
			Env: []string{"HOSTNAME=dbg", "NEW=1", "NSCOPE_TEST_FROM_CALLER", "NSCOPE_TEST_UNSET", "PATH"}},
			wantUID: 65534, wantEnv: []string{"HOME=/", "HOSTNAME=dbg", "NEW=1", "NSCOPE_TEST_FROM_CALLER=from-us", "PATH=" + os.Getenv("PATH")}},
		{name: "seccomp not copied: said before running", req: EnterRequest{PID: 42, Container: web}, seccomp: errors.New("no CONFIG_CHECKPOINT_RESTORE"),
			wantUID: 65534, wantWarn: "seccomp filter NOT copied, the command runs without it: no CONFIG_CHECKPOINT_RESTORE", wantItem: "NOT copied"},
		{name: "no AppArmor or SELinux: said", req: EnterRequest{PID: 42, Container: web}, noLSM: true,
			wantUID: 65534, wantItem: "no AppArmor or SELinux on this host"},
		{name: "host tools in a container: root with a note", req: EnterRequest{PID: 42, Container: web, HostTools: true, Command: []string{"ps"}},
			wantNoID: true, wantWarn: "full root with the host's binaries inside docker container web"},
		{name: "unknown user", req: EnterRequest{PID: 42, Container: web, User: "ghost"}, wantErrIs: ErrBadRequest},
		{name: "bad user spec", req: EnterRequest{PID: 42, User: "a b"}, wantErrIs: ErrBadRequest},
		{name: "nscope's own variable refused", req: EnterRequest{PID: 42, Env: []string{"_NSCOPE_NSEXEC=init"}}, wantErrIs: ErrBadRequest},
		{name: "privileged with a user", req: EnterRequest{PID: 42, Privileged: true, User: "app"}, wantErrIs: ErrBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newIdentityFixture(t, inspect.UserNS, inspect.CgroupNS, inspect.TimeNS)
			if tc.noLSM {
				f.write(t, "sys", "kernel/security/lsm", "lockdown,capability,yama")
			}
			plan, err := f.enterer(oneFilter, tc.seccomp).Plan(tc.req)
			if tc.wantErrIs != nil {
				if !errors.Is(err, tc.wantErrIs) {
					t.Fatalf("Plan = %v, want %v", err, tc.wantErrIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantNoID != (plan.Identity == nil) {
				t.Fatalf("identity %+v, want none: %v", plan.Identity, tc.wantNoID)
			}
			if plan.Identity != nil && plan.Identity.UID != tc.wantUID {
				t.Errorf("uid %d, want %d", plan.Identity.UID, tc.wantUID)
			}
			if tc.wantEnv != nil {
				got := append([]string(nil), plan.Env...)
				if strings.Contains(tc.name, "--env") {
					slices.Sort(got)
				}
				if diff := cmp.Diff(tc.wantEnv, got); diff != "" {
					t.Errorf("env (-want +got):\n%s", diff)
				}
			}
			warns := strings.Join(plan.Warnings, "\n")
			if tc.wantWarn != "" && !strings.Contains(warns, tc.wantWarn) {
				t.Errorf("warnings %q lack %q", warns, tc.wantWarn)
			}
			var items []string
			for _, it := range plan.Items() {
				items = append(items, it.Label+": "+it.Value)
			}
			if tc.wantItem != "" && !strings.Contains(strings.Join(items, "\n"), tc.wantItem) {
				t.Errorf("items lack %q:\n%s", tc.wantItem, strings.Join(items, "\n"))
			}
		})
	}
}

// A container in a user namespace of its own (docker userns-remap): the
// IDs /proc shows us are mapped back into its namespace, and groups it
// may not set are said.
func TestPlanMapsIDsIntoTheUserNamespace(t *testing.T) {
	f := newIdentityFixture(t, inspect.CgroupNS, inspect.TimeNS)
	f.write(t, "proc", "42/status", strings.NewReplacer("Uid:\t65534\t65534\t65534\t65534", "Uid:\t165534\t165534\t165534\t165534",
		"Gid:\t0\t0\t0\t0", "Gid:\t100000\t100000\t100000\t100000", "Groups:\t0 ", "Groups:\t100000 100010 7").Replace(dockerStatus))
	f.write(t, "proc", "42/uid_map", "         0     100000      65536\n")
	f.write(t, "proc", "42/gid_map", "         0     100000      65536\n")
	f.write(t, "proc", "42/setgroups", "deny\n")
	plan, err := f.enterer(oneFilter, nil).Plan(EnterRequest{PID: 42, Container: web})
	if err != nil {
		t.Fatal(err)
	}
	id := plan.Identity
	if id.UID != 65534 || id.GID != 0 || !cmp.Equal(id.Groups, []int64{0, 10}) || id.SetGroups {
		t.Errorf("identity uid %d gid %d groups %v set %v; want 65534, 0, [0 10] not set", id.UID, id.GID, id.Groups, id.SetGroups)
	}
	warns := strings.Join(plan.Warnings, "\n")
	for _, w := range []string{"supplementary groups 7 of the target are not mapped", "supplementary groups 0, 10 are not set: setgroups is denied"} {
		if !strings.Contains(warns, w) {
			t.Errorf("warnings %q lack %q", warns, w)
		}
	}
}

// A frozen (paused) target is refused: the command would freeze as it
// joined, as docker exec refuses a paused container.
func TestPlanRefusesAFrozenTarget(t *testing.T) {
	f := newIdentityFixture(t, inspect.UserNS, inspect.CgroupNS, inspect.TimeNS)
	f.write(t, "proc", "self/cgroup", "6:freezer:/\n0::/\n")
	f.write(t, "proc", "42/cgroup", "6:freezer:/docker/ab\n0::/docker/ab\n")
	freezer := filepath.Join(f.sys, "fs/cgroup/freezer")
	f.write(t, "sys", "fs/cgroup/freezer/docker/ab/freezer.state", "FROZEN\n")
	layout := inspect.CgroupLayout{Mode: inspect.CgroupHybrid, Hierarchies: []inspect.Hierarchy{
		{ID: 6, Version: 1, Controllers: []string{"freezer"}, Mount: freezer},
		{ID: 0, Version: 2, Mount: filepath.Join(f.sys, "fs/cgroup/unified")},
	}}
	e := NewEnterer(WithEnterProcRoot(f.proc), WithEnterSysRoot(f.sys), WithEnterLayout(layout))
	_, err := e.Plan(EnterRequest{PID: 42, Container: web})
	if err == nil || !strings.Contains(err.Error(), "is frozen (its freezer cgroup /docker/ab)") {
		t.Fatalf("Plan = %v, want the frozen refusal", err)
	}
	f.write(t, "sys", "fs/cgroup/freezer/docker/ab/freezer.state", "THAWED\n")
	e.seccomp = func(int) ([]nsexec.SeccompFilter, error) { return nil, nil }
	plan, err := e.Plan(EnterRequest{PID: 42, Container: web})
	if err != nil {
		t.Fatal(err)
	}
	want := []EnterCgroup{
		{Hierarchy: "freezer", Version: 1, Controllers: []string{"freezer"}, Path: "/docker/ab", Procs: freezer + "/docker/ab/cgroup.procs"},
		{Hierarchy: "v2", Version: 2, Path: "/docker/ab", Procs: filepath.Join(f.sys, "fs/cgroup/unified/docker/ab/cgroup.procs")},
	}
	if diff := cmp.Diff(want, plan.Cgroups); diff != "" {
		t.Errorf("cgroups (-want +got):\n%s", diff)
	}
}

// Cgroup paths from /proc/PID/cgroup that must not be written to are left
// out and said: outside our cgroup namespace, control characters, a
// hierarchy that is not mounted.
func TestPlanCgroupsLeavesOutWhatCannotBeJoined(t *testing.T) {
	f := newIdentityFixture(t)
	f.write(t, "proc", "self/cgroup", "4:memory:/\n3:pids:/\n9:net_cls:/\n0::/\n")
	f.write(t, "proc", "42/cgroup", "4:memory:/../escape\n3:pids:/a\x1b[2Jb\n9:net_cls:/x\n0::/ok\n")
	layout := inspect.CgroupLayout{Mode: inspect.CgroupHybrid, Hierarchies: []inspect.Hierarchy{
		{ID: 4, Version: 1, Controllers: []string{"memory"}, Mount: "/sys/fs/cgroup/memory"},
		{ID: 3, Version: 1, Controllers: []string{"pids"}, Mount: "/sys/fs/cgroup/pids"},
		{ID: 0, Version: 2, Mount: "/sys/fs/cgroup/unified"},
	}}
	plan := &EnterPlan{PID: 42}
	e := NewEnterer(WithEnterProcRoot(f.proc), WithEnterLayout(layout))
	if err := e.planCgroups(plan); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/sys/fs/cgroup/unified/ok/cgroup.procs"}, plan.procsFiles()); diff != "" {
		t.Errorf("cgroup.procs written (-want +got):\n%s", diff)
	}
	notes := strings.Join(plan.CgroupNotes, "\n")
	for _, w := range []string{"outside nscope's cgroup namespace", "control character", "net_cls hierarchy is not mounted"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes %q lack %q", notes, w)
		}
	}
}
