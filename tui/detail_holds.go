package tui

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// maxContentLines caps each list of a namespace's content (interfaces,
// mounts that differ, queue names); the rest is counted.
const maxContentLines = 40

// addHolds adds the "Holds" section: what namespace n holds, as read from
// the kernel (v), or why it is not shown. Every string in it comes from
// the host; renderSegs escapes it.
func addHolds(b *detailBuilder, ix *procview.Index, n *inspect.Namespace, v nsContentView, w int) {
	b.add(seg{"Holds", roleHeading})
	switch {
	case !v.live && v.saved:
		b.add(seg{"  not read: a saved snapshot has no kernel to ask (nscope ns --json --content reads it on the host)", roleDim})
		return
	case !v.live:
		b.add(seg{"  not read: this source cannot read namespaces", roleDim})
		return
	case !v.known:
		b.add(seg{"  reading…", roleDim})
		return
	case v.res.err != nil:
		b.addWrapped("  ", contentErrorText(v.res.err), roleWarn, w)
		return
	}
	c := v.res.content
	switch {
	case c.User != nil:
		addUserContent(b, c.User, w)
	case c.UTS != nil:
		b.kv("hostname", seg{c.UTS.Hostname, roleNormal})
		b.kv("domain", seg{c.UTS.DomainName, roleNormal})
	case c.Net != nil:
		addNetContent(b, ix, c.Net)
	case c.Mnt != nil:
		addMntContent(b, c.Mnt)
	case c.IPC != nil:
		addIPCContent(b, c.IPC)
	case c.Cgroup != nil:
		for _, r := range c.Cgroup.Roots {
			where := "cgroup2"
			if r.Controllers != "" {
				where = r.Controllers
			}
			b.kv("root", seg{r.Root, roleNormal}, seg{"  is / inside (" + where + ")", roleDim})
		}
		if len(c.Cgroup.Roots) == 0 {
			b.add(seg{"  no cgroup hierarchy shows a root for it", roleDim})
		}
	case c.Time != nil:
		b.kv("monotonic", seg{signedDuration(c.Time.MonotonicOffset.String()), roleNormal}, seg{"  offset from the host's clock", roleDim})
		b.kv("boottime", seg{signedDuration(c.Time.BoottimeOffset.String()), roleNormal})
		b.addWrapped("  ", c.Time.Summary, roleNormal, w)
	case c.PID != nil:
		addPIDContent(b, c.PID)
	default:
		b.add(seg{"  nothing to show for this type", roleDim})
	}
	if c.Via != "" {
		b.add(seg{"  read through " + c.Via, roleDim})
	}
}

// contentErrorText says in plain words why a namespace's content is not
// shown.
func contentErrorText(err error) string {
	switch {
	case errors.Is(err, inspect.ErrUnreachable):
		return "not readable now: " + err.Error()
	case errors.Is(err, inspect.ErrNotLive):
		return "not read: nscope reads a fixture tree, not the running kernel"
	}
	return "could not be read: " + err.Error()
}

// signedDuration shows a positive offset with its sign.
func signedDuration(s string) string {
	if s == "0s" || strings.HasPrefix(s, "-") {
		return s
	}
	return "+" + s
}

// idMapText renders ID map ranges as the kernel file does, one range per
// element: "0 1000 1".
func idMapText(m []inspect.IDMapRange) []string {
	out := make([]string, 0, len(m))
	for _, r := range m {
		out = append(out, fmt.Sprintf("%d %d %d", r.Inside, r.Outside, r.Count))
	}
	return out
}

func addUserContent(b *detailBuilder, u *inspect.UserContent, w int) {
	if u.Summary != "" {
		b.addWrapped("  ", u.Summary, roleAccent, w)
	}
	maps := func(label string, m, toParent []inspect.IDMapRange) {
		lines := idMapText(m)
		if len(lines) == 0 {
			b.kv(label, seg{"none written yet", roleWarn}, seg{"  (every ID is the overflow ID inside)", roleDim})
			return
		}
		for i, l := range lines {
			if i == maxContentLines {
				b.add(seg{fmt.Sprintf("  … and %d more ranges", len(lines)-i), roleDim})
				break
			}
			lab := label
			if i > 0 {
				lab = ""
			}
			hint := ""
			if i == 0 {
				hint = "  inside, outside (the host's), count"
			}
			b.kv(lab, seg{l, roleNormal}, seg{hint, roleDim})
		}
		if toParent != nil && !slices.Equal(toParent, m) {
			b.kv("  to parent", seg{strings.Join(idMapText(toParent), "; "), roleNormal}, seg{"  as the parent user namespace sees it", roleDim})
		}
	}
	maps("uid_map", u.UIDMap, u.UIDMapToParent)
	maps("gid_map", u.GIDMap, u.GIDMapToParent)
	b.kv("setgroups", seg{u.SetGroups, roleNormal})
}

func addNetContent(b *detailBuilder, ix *procview.Index, n *inspect.NetContent) {
	if len(n.Interfaces) == 0 {
		b.add(seg{"  no network interface", roleDim})
	}
	for i, it := range n.Interfaces {
		if i == maxContentLines {
			b.add(seg{fmt.Sprintf("  … and %d more interfaces", len(n.Interfaces)-i), roleDim})
			break
		}
		st, ro := it.State, roleOK
		switch {
		case !it.AdminUp:
			st, ro = "down", roleWarn
		case it.State != "up" && it.State != "unknown":
			ro = roleWarn
		}
		addrs := strings.Join(it.Addresses, " ")
		b.add(seg{"  " + fit(it.Name, 12, false) + " ", roleNormal}, seg{fit(it.Kind, 7, false) + " ", roleDim},
			seg{fit(st, 7, false) + " ", ro}, seg{"mtu " + strconv.Itoa(it.MTU) + "  ", roleDim}, seg{addrs, roleNormal})
		switch {
		case it.Peer != nil:
			addVethPeer(b, ix, it.Peer)
		case len(it.Ports) > 0:
			b.add(seg{"      bridge ports: " + strings.Join(it.Ports, ", "), roleDim})
		}
		if it.Master != "" {
			b.add(seg{"      port of " + it.Master, roleDim})
		}
	}
	for _, r := range n.DefaultRoutes {
		text := "default"
		if r.Gateway != "" {
			text += " via " + r.Gateway
		}
		if r.Dev != "" {
			text += " dev " + r.Dev
		}
		b.kv("route", seg{text, roleNormal}, seg{"  " + r.Family, roleDim})
	}
}

// addVethPeer adds where a veth's other end is, a link to its namespace
// when that is known.
func addVethPeer(b *detailBuilder, ix *procview.Index, p *inspect.VethPeer) {
	name := p.Name
	if name == "" {
		name = "ifindex " + strconv.Itoa(p.Index)
	}
	switch {
	case p.NetNSID == -1 || p.ResolvedBy == "same namespace":
		b.add(seg{"    ↔ peer " + name + " in this same namespace", roleDim})
	case !p.NetNS.IsZero() && ix.Snap.Namespace(p.NetNS) != nil:
		b.addLink(procview.NamespaceKey(p.NetNS), seg{"  ↔ peer ", roleLabel}, seg{name, roleNormal},
			seg{" in ", roleDim}, seg{"net " + p.NetNS.String(), nsRole(inspect.NetNS)})
	case !p.NetNS.IsZero():
		b.add(seg{"    ↔ peer " + name + " in net " + p.NetNS.String() + " (not in the last scan)", roleDim})
	default:
		b.add(seg{fmt.Sprintf("    ↔ peer %s in a namespace this one calls netnsid %d; nscope could not find which", name, p.NetNSID), roleDim})
	}
}

func addMntContent(b *detailBuilder, m *inspect.MntContent) {
	b.kv("mounts", seg{strconv.Itoa(m.Mounts), roleNormal})
	b.kv("root", seg{m.Root.Source + " " + m.Root.FSType, roleNormal}, seg{"  " + m.Root.Propagation, roleDim})
	p := m.Propagation
	prop := fmt.Sprintf("%d shared, %d slave, %d both, %d private", p.Shared, p.Slave, p.SharedSlave, p.Private)
	if p.Unbindable > 0 {
		prop += fmt.Sprintf(", %d unbindable", p.Unbindable)
	}
	b.kv("propagation", seg{prop, roleNormal})
	if m.ComparedWith.IsZero() {
		return
	}
	b.kv("vs host", seg{fmt.Sprintf("%d added, %d missing", m.AddedCount, m.RemovedCount), roleNormal}, seg{"  compared with mnt " + m.ComparedWith.String(), roleDim})
	list := func(sign string, es []inspect.MountEntry, total int) {
		for _, e := range es {
			b.add(seg{"    " + sign + " ", roleAccent}, seg{e.MountPoint, roleNormal}, seg{"  " + e.FSType + " " + e.Source, roleDim})
		}
		if total > len(es) {
			b.add(seg{fmt.Sprintf("    … and %d more", total-len(es)), roleDim})
		}
	}
	list("+", capped(m.Added), m.AddedCount)
	list("-", capped(m.Removed), m.RemovedCount)
}

// capped returns at most maxContentLines/4 entries: the mount lists are
// a sample, not the whole table (findmnt -N has that).
func capped(es []inspect.MountEntry) []inspect.MountEntry {
	return es[:min(len(es), maxContentLines/4)]
}

func addIPCContent(b *detailBuilder, c *inspect.IPCContent) {
	b.kv("shm", seg{countOf(c.SharedMemory, "segment"), roleNormal}, seg{"  " + procview.FormatBytes(c.SharedMemoryBytes), roleDim})
	b.kv("semaphores", seg{countOf(c.SemaphoreSets, "set"), roleNormal})
	b.kv("msg queues", seg{countOf(c.MessageQueues, "queue"), roleNormal}, seg{fmt.Sprintf("  %d messages waiting", c.Messages), roleDim})
	switch {
	case c.POSIXQueues < 0:
		b.kv("POSIX mq", seg{"not counted: " + c.POSIXQueuesError, roleWarn})
	case len(c.POSIXQueueNames) > 0:
		b.kv("POSIX mq", seg{countOf(c.POSIXQueues, "queue"), roleNormal}, seg{"  " + strings.Join(c.POSIXQueueNames, ", "), roleDim})
	default:
		b.kv("POSIX mq", seg{countOf(c.POSIXQueues, "queue"), roleNormal})
	}
}

func addPIDContent(b *detailBuilder, c *inspect.PIDContent) {
	b.kv("processes", seg{strconv.Itoa(c.Processes) + " here", roleNormal},
		seg{fmt.Sprintf(", %d in nested pid namespaces (it sees those too)", c.NestedProcesses), roleDim})
	if c.Init == nil {
		b.kv("init", seg{"none: nothing was forked into it yet, or its init exited", roleWarn})
		return
	}
	chain := make([]string, len(c.Init.NSpid))
	for i, v := range c.Init.NSpid {
		chain[i] = strconv.Itoa(v)
	}
	b.kv("init PIDs", seg{strings.Join(chain, " → "), roleNormal}, seg{"  " + c.Init.Comm + " at every level, outermost first", roleDim})
}

// addWrapped adds text wrapped at w cells, every line starting with
// indent.
func (b *detailBuilder) addWrapped(indent, text string, r role, w int) {
	for _, l := range wrapHostText(text, max(20, w-width(indent)-1)) {
		b.add(seg{indent + l, r})
	}
}

// addWrappedLink adds text wrapped at w cells as a link to k: the first
// line is the link, the rest continue below it.
func (b *detailBuilder) addWrappedLink(k procview.Key, text string, r role, w int) {
	lines := wrapHostText(text, max(20, w-5))
	if len(lines) == 0 {
		return
	}
	b.addLink(k, seg{lines[0], r})
	for _, l := range lines[1:] {
		b.add(seg{"    " + l, r})
	}
}

// wrapHostText is wrapPlain for host text: text that fits stays as it is
// (wrapPlain would fold runs of spaces in a path).
func wrapHostText(text string, w int) []string {
	if width(text) <= w {
		return []string{text}
	}
	return wrapPlain(text, w)
}
