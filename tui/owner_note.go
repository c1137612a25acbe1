package tui

import (
	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// setOwners makes the editor name cgroup owners (a container runtime,
// systemd) from the snapshot the action was taken on.
func setOwners(ed *control.Editor, snap *inspect.Snapshot) {
	if ed != nil && snap != nil {
		ed.SetOwners(control.SnapshotOwners{Snap: snap})
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
// manager) and returns a function that marks a limit whose value differs
// from the runtime's belief.
func ownerDetail(b *detailBuilder, s *inspect.Snapshot, c *inspect.Cgroup) func(limit string) seg {
	none := func(string) seg { return seg{} }
	o, _ := control.SnapshotOwners{Snap: s}.OwnerOf(c.Path)
	if o == nil {
		return none
	}
	if o.Unit != "" {
		b.kv("systemd", seg{o.Unit, roleWarn}, seg{"  systemd manages it: a direct write may be reverted on daemon-reload", roleDim})
	}
	ctr := o.Container
	if ctr == nil || o.Nested {
		return none
	}
	state := ""
	if ctr.State != "" {
		state = " (" + ctr.State + ")"
	}
	b.kv("owner", seg{ctr.Runtime + " container " + ctr.Name + state, roleAccent}, seg{"  it does not see direct writes", roleDim})
	drift := map[string]control.LimitDrift{}
	for _, d := range control.CgroupDrift(c, ctr.Limits) {
		drift[d.Limit] = d
	}
	rt := ctr.Runtime
	return func(limit string) seg {
		if d, ok := drift[limit]; ok {
			return seg{"  ≠ " + rt + " believes " + d.Believed, roleWarn}
		}
		return seg{}
	}
}
