package tui

import (
	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// setOwners makes the editor name cgroup owners (a container runtime,
// systemd) from the snapshot the action was taken on.
func setOwners(ed LimitEditor, snap *inspect.Snapshot) {
	// An editor of another host (-H) finds the owners there.
	if o, ok := ed.(interface{ SetOwners(control.OwnerFinder) }); ok && snap != nil {
		o.SetOwners(control.SnapshotOwners{Snap: snap})
	}
}

// ownerLines shows a plan's owner note in a preview: who owns the cgroup,
// what it believes, that it will not know, and its own command.
func ownerLines(n *control.OwnerNote) []dline {
	lines := n.Lines()
	if len(lines) == 0 {
		return nil
	}
	out := []dline{{segs: []seg{{"Owner:", roleHeading}}}}
	for i, l := range lines {
		role := roleWarn
		if i == 0 {
			role = roleNormal
		}
		out = append(out, dline{segs: []seg{{"  " + l, role}}})
	}
	return out
}

// ownerDetail adds a cgroup's owner to its detail (the container and what
// its runtime believes; the systemd unit where systemd is the service
// manager) and returns the lines that mark each limit whose value differs
// from the runtime's belief, for the Limits section.
func ownerDetail(b *detailBuilder, s *inspect.Snapshot, m *procview.MergedCgroup) []dline {
	o, _ := control.SnapshotOwners{Snap: s}.OwnerOf(m.Path)
	if o == nil {
		return nil
	}
	if o.Unit != "" {
		b.kv("systemd", seg{o.Unit, roleWarn}, seg{"  systemd manages it: a direct write may be reverted on daemon-reload", roleDim})
	}
	ctr := o.Container
	if ctr == nil || o.Nested {
		return nil
	}
	state := ""
	if ctr.State != "" {
		state = " (" + ctr.State + ")"
	}
	b.kv("owner", seg{ctr.Runtime + " container " + ctr.Name + state, roleAccent}, seg{"  it does not see direct writes", roleDim})
	var out []dline
	seen := map[string]bool{}
	for _, c := range m.Cgroups {
		for _, d := range control.CgroupDrift(c, ctr.Limits) {
			if seen[d.Limit] {
				continue
			}
			seen[d.Limit] = true
			lb := &detailBuilder{}
			lb.kv("≠ "+ctr.Runtime, seg{d.Limit + " " + d.Actual + " in force, " + ctr.Runtime + " believes " + d.Believed, roleWarn})
			out = append(out, lb.lines...)
		}
	}
	return out
}
