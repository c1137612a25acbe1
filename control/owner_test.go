package control

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// fixedOwners says every cgroup is owned by o.
type fixedOwners struct{ o *Owner }

func (f fixedOwners) OwnerOf(string) (*Owner, error) { return f.o, nil }

func i64(v int64) *int64 { return &v }

// dockerWeb is a docker container run with --memory 64m (memsw 128m), no
// CPU or pids limit, the way its hostconfig.json reads.
func dockerWeb() *inspect.Container {
	return &inspect.Container{Runtime: "docker", ID: "3f4e5d6c7b8a", Name: "web", State: "running",
		Limits: inspect.ContainerLimits{MemoryMax: i64(64 << 20), MemorySwap: i64(128 << 20)}}
}

func TestOwnerNotes(t *testing.T) {
	tests := []struct {
		name   string
		owner  *Owner
		action string
		limits Limits
		memsw  bool
		want   []string
		reason string
	}{
		{name: "set on docker: belief, unaware, docker update with memsw", owner: &Owner{Container: dockerWeb()}, action: "set",
			limits: mustParse(t, "0.2", "256M", "100"), memsw: true,
			want: []string{
				"owned by docker container web (running); docker believes: no cpu limit, memory 64 MiB, memory+swap 128 MiB, no pids limit",
				`docker will not know of this change: "docker inspect" keeps showing its own values, and "docker update" or a restart may overwrite nscope's`,
				"to make it docker's own: docker update --cpus 0.2 --memory 256m --memory-swap 320m --pids-limit 100 web",
			},
			reason: "/app/web is docker container web's cgroup: docker will not know of this change"},
		{name: "set on podman: unlimited memory cannot be persisted", owner: &Owner{Container: &inspect.Container{Runtime: "podman", Name: "db", State: "running"}},
			action: "set", limits: mustParse(t, "max", "max", ""),
			want: []string{
				"owned by podman container db (running); podman believes: no cpu limit, no memory limit, no pids limit",
				`podman will not know of this change: "podman inspect" keeps showing its own values, and "podman update" or a restart may overwrite nscope's`,
				`to make it podman's own: podman update --cpu-quota -1 db; "podman update" cannot lift a memory limit (recreate the container without --memory)`,
			}},
		{name: "set on runc: bytes, the ID", owner: &Owner{Container: &inspect.Container{Runtime: "runc", ID: "job-1", Name: "job-1", State: "running"}},
			action: "set", limits: mustParse(t, "", "128M", ""),
			want: []string{
				"owned by runc container job-1 (running); runc believes: no cpu limit, no memory limit, no pids limit",
				`runc keeps the limits of its spec in its state; "runc update" may overwrite nscope's`,
				"to make it runc's own: runc update --memory 134217728 job-1",
			}},
		{name: "freeze on docker: docker pause is the coherent choice", owner: &Owner{Container: dockerWeb()}, action: "freeze",
			want: []string{
				"owned by docker container web (running)",
				`docker will not know it is frozen: "docker ps" keeps showing it Up, "docker pause" then fails and "docker unpause" says it is not paused`,
				`"docker pause web" is the coherent choice: "docker ps" then shows it Paused and "docker unpause web" resumes it`,
			},
			reason: "/app/web is docker container web's cgroup: docker will not know of this freeze"},
		{name: "kill on docker", owner: &Owner{Container: dockerWeb()}, action: "kill",
			want: []string{"owned by docker container web (running)", "docker sees the container's init die and applies its restart policy",
				`"docker kill web" (or "docker stop web") is the coherent choice`}},
		{name: "a hostile name is quoted in the command", owner: &Owner{Container: &inspect.Container{Runtime: "docker", Name: "we'b; rm -rf /"}}, action: "set",
			limits: mustParse(t, "", "", "10"),
			want: []string{"owned by docker container we'b; rm -rf /; docker believes: no cpu limit, no memory limit, no pids limit",
				`docker will not know of this change: "docker inspect" keeps showing its own values, and "docker update" or a restart may overwrite nscope's`,
				`to make it docker's own: docker update --pids-limit 10 'we'\''b; rm -rf /'`}},
		{name: "nested below the container's cgroup", owner: &Owner{Container: dockerWeb(), Nested: true, ContainerCgroup: "/app"}, action: "set",
			limits: mustParse(t, "", "", "10"),
			want: []string{"owned by docker container web (running)",
				"/app/web is inside docker container web's cgroup /app, which docker manages; docker does not know this cgroup, and the container's own limits still bound it"}},
		{name: "systemd alone", owner: &Owner{Unit: "web.service"}, action: "set", limits: mustParse(t, "0.5", "", ""),
			want: []string{"owned by systemd unit web.service",
				"/app/web is managed by systemd unit web.service: systemd may revert a direct write (on daemon-reload or a unit change)",
				"to persist it run: systemctl set-property web.service CPUQuota=50%"},
			reason: "/app/web is managed by systemd unit web.service: systemd may revert a direct write (on daemon-reload or a unit change); to persist it run: systemctl set-property web.service CPUQuota=50%"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys, layout := NewFakeHost(inspect.CgroupLegacy)
			fsys.AddCgroup(layout, "/app/web")
			dir := FakeRoot + "/memory/app/web"
			fsys.SetFile(dir+"/memory.limit_in_bytes", "67108864")
			if tc.memsw {
				fsys.SetFile(dir+"/"+memswFile, "134217728")
			}
			ed := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), WithOwners(fixedOwners{tc.owner}))
			tg, _ := ed.Resolve("/app/web")
			var note *OwnerNote
			var confirm []string
			switch tc.action {
			case "set":
				p, err := ed.Plan(tg, tc.limits)
				if err != nil {
					t.Fatal(err)
				}
				note, confirm = p.Owner, p.Confirm
				for _, w := range p.Writes {
					if w.Owner != note {
						t.Errorf("write %s carries owner %v, not the plan's", w.File, w.Owner)
					}
				}
			case "freeze":
				p, err := ed.PlanFreeze(tg, true)
				if err != nil {
					t.Fatal(err)
				}
				note, confirm = p.Owner, p.Confirm
			case "kill":
				kp, err := ed.PlanKill(tg)
				if err != nil {
					t.Fatal(err)
				}
				note, confirm = kp.Owner, kp.Confirm
			}
			if diff := cmp.Diff(tc.want, note.Lines()); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if tc.reason != "" && !cmp.Equal(confirm, []string{tc.reason}) {
				t.Errorf("confirm %q, want %q", confirm, tc.reason)
			}
		})
	}
}

func mustParse(t *testing.T, cpu, mem, pids string) Limits {
	t.Helper()
	return mustLimits(t, cpu, mem, pids)
}

// The owner note is journaled with every write of the change, so history
// shows what nscope said.
func TestOwnerNoteIsJournaled(t *testing.T) {
	fsys, layout := NewFakeHost(inspect.CgroupLegacy)
	fsys.AddCgroup(layout, "/app/web")
	ed := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), WithOwners(fixedOwners{&Owner{Container: dockerWeb()}}))
	tg, _ := ed.Resolve("/app/web")
	p, err := ed.Plan(tg, mustLimits(t, "0.2", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ed.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	entries, _, err := ed.Journal().Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("nothing journaled")
	}
	for _, e := range entries {
		if e.Owner == nil || e.Owner.Manager != "docker" || !strings.Contains(e.Owner.Persist, "docker update --cpus 0.2 web") {
			t.Errorf("entry %s %s: owner %+v, want docker's note with the persisting command", e.Phase, e.File, e.Owner)
		}
	}
}

func TestCgroupDrift(t *testing.T) {
	believed := inspect.ContainerLimits{MemoryMax: i64(64 << 20), PidsMax: i64(100), CPUQuotaUS: i64(50000), CPUPeriodUS: i64(100000)}
	tests := []struct {
		name   string
		limits inspect.Limits
		want   []LimitDrift
	}{
		{name: "as believed (the kernel rounds memory to pages)", limits: inspect.Limits{MemoryMax: i64(64<<20 + 100), PidsMax: i64(100),
			CPUQuotaUS: i64(25000), CPUPeriodUS: i64(50000)}},
		{name: "memory and pids written directly", limits: inspect.Limits{MemoryMax: i64(256 << 20), PidsMax: i64(inspect.Unlimited)},
			want: []LimitDrift{{Limit: "memory", Believed: "64 MiB", Actual: "256 MiB"}, {Limit: "pids", Believed: "100", Actual: "unlimited"}}},
		{name: "cpu quota changed", limits: inspect.Limits{CPUQuotaUS: i64(20000), CPUPeriodUS: i64(100000)},
			want: []LimitDrift{{Limit: "cpu", Believed: "50% of 1 CPU", Actual: "20% of 1 CPU"}}},
		{name: "cpu lifted", limits: inspect.Limits{CPUQuotaUS: i64(inspect.Unlimited), CPUPeriodUS: i64(100000)},
			want: []LimitDrift{{Limit: "cpu", Believed: "50% of 1 CPU", Actual: "unlimited"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CgroupDrift(&inspect.Cgroup{Limits: tc.limits}, believed)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Nothing believed: unlimited is what docker expects.
	if d := CgroupDrift(&inspect.Cgroup{Limits: inspect.Limits{MemoryMax: i64(inspect.Unlimited), PidsMax: i64(inspect.Unlimited)}}, inspect.ContainerLimits{}); len(d) != 0 {
		t.Errorf("no limits believed, none set: drift %v", d)
	}
}
