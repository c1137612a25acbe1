package control

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// EnterItem is one line of what enter will take from the target, for the
// CLI's --dry-run and the TUI's checklist. Text comes from the host and
// must be escaped by the sink.
type EnterItem struct {
	// Label is the item ("cgroup", "user", "capabilities", ...).
	Label string
	// Value says what is taken, or what is not and why.
	Value string
	// Warn marks what is not applied, or applied with consequences.
	Warn bool
}

// Items lists, item by item, what the command gets from the target: each
// cgroup joined (and whether limits live there), then the identity parts.
// Namespaces and the command are left to the caller.
func (p *EnterPlan) Items() []EnterItem {
	var out []EnterItem
	add := func(label, value string, warn bool) { out = append(out, EnterItem{label, value, warn}) }
	if p.Container != nil {
		add("container", p.Container.String(), false)
	}
	switch {
	case p.Cgroups == nil:
		add("cgroups", "not joined: the command stays in nscope's cgroups and the target's limits do not apply", true)
	default:
		for _, c := range p.Cgroups {
			var what string
			switch {
			case c.Limits() && c.Same:
				what = "nscope is there already: its " + strings.Join(c.Controllers, ",") + " limits apply"
			case c.Limits():
				what = "joined: its " + strings.Join(c.Controllers, ",") + " limits apply"
			default:
				// Not "joined" alone: nothing of the target's is
				// enforced here.
				what = "membership only: no controller, so no limit of the target's, lives in this hierarchy"
			}
			add("cgroup "+c.Hierarchy, c.Path+" "+what, false)
		}
	}
	for _, n := range p.CgroupNotes {
		add("cgroup", n, true)
	}
	if p.HostProc {
		add("/proc", "a fresh procfs of the target's pid namespace, in a private copy of nscope's mounts", false)
	}
	id := p.Identity
	switch {
	case id == nil && p.Privileged:
		add("identity", "nscope's full root (--privileged): every capability, no seccomp filter, no security label", true)
	case id == nil:
		add("identity", "root, with nscope's capabilities (a plain process: nothing of its identity is taken)", false)
	default:
		add("user", describeUser(id), false)
		groups := "none"
		if len(id.Groups) > 0 {
			groups = formatIDs(id.Groups)
		}
		if !id.SetGroups {
			groups += " (not set: setgroups is denied in its user namespace)"
		}
		add("groups", groups, !id.SetGroups)
		if id.FromTarget {
			if k := id.Caps; k != nil {
				add("capabilities", fmt.Sprintf("effective %016x, permitted %016x, inheritable %016x, bounding %016x (%d), ambient %016x",
					k.Effective, k.Permitted, k.Inheritable, k.Bounding, bits.OnesCount64(k.Bounding), k.Ambient), false)
			}
			add("no_new_privs", yesNo(id.NoNewPrivs), false)
			add("seccomp", describeSeccomp(id), id.SeccompMode != 0 && len(id.Seccomp) == 0)
			add("security label", describeLSM(id), false)
			if id.Cwd != "" {
				add("working dir", id.Cwd, false)
			}
		} else {
			add("capabilities", "none after exec for a non-root user (root keeps nscope's)", false)
		}
	}
	if len(p.Env) > 0 || id != nil {
		add("environment", describeEnv(p), false)
	}
	for _, w := range p.Warnings {
		add("warning", w, true)
	}
	return out
}

func describeUser(id *EnterIdentity) string {
	u := fmt.Sprintf("uid %d", id.UID)
	if id.User != "" {
		u += " (" + id.User + ")"
	}
	u += fmt.Sprintf(", gid %d", id.GID)
	if id.FromTarget {
		u += ", the target's"
	}
	return u
}

func describeSeccomp(id *EnterIdentity) string {
	switch {
	case id.SeccompMode == 0:
		return "none (the target has no filter)"
	case id.SeccompMode == 1:
		return "strict mode: not applied (it allows no exec)"
	case len(id.Seccomp) == 0:
		return "NOT copied (see the warning): the command runs without the target's filter"
	}
	when := "installed before dropping privileges (the target has no no_new_privs), as runc does"
	if id.NoNewPrivs {
		when = "installed last, after no_new_privs, as runc does"
	}
	return fmt.Sprintf("%d filter(s), %d instructions, copied from the target; %s", len(id.Seccomp), id.SeccompInsns, when)
}

func describeLSM(id *EnterIdentity) string {
	if id.LSM != nil {
		return id.LSM.Module + " " + id.LSM.Label + ", for exec"
	}
	if id.LSMNote != "" {
		return id.LSMNote
	}
	return "none"
}

func describeEnv(p *EnterPlan) string {
	names := make([]string, 0, len(p.Env))
	for _, kv := range p.Env {
		n, _, _ := strings.Cut(kv, "=")
		names = append(names, n)
	}
	sort.Strings(names)
	const show = 8
	list := strings.Join(names, " ")
	if len(names) > show {
		list = strings.Join(names[:show], " ") + fmt.Sprintf(" and %d more", len(names)-show)
	}
	from := "nscope's clean environment"
	if p.Identity != nil && p.Identity.FromTarget {
		from = "the target's"
		if p.envTerm {
			from += " (TERM from yours on a terminal)"
		}
	}
	return fmt.Sprintf("%d variables, %s: %s", len(names), from, list)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
