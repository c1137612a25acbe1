package tui

import (
	"strconv"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// namespaceColumns are the columns of the Namespaces view.
func namespaceColumns(total int) []column {
	nameW := 28
	if total >= 120 {
		nameW = 36
	}
	return []column{
		{title: "NAMESPACE", width: nameW, draw: func(rc *renderCtx, r *procview.Row, w int, plain bool) string {
			n := r.Namespace
			label := n.Type.String() + " " + n.ID.String()
			if n.Initial {
				label += " host"
			}
			return treeLabel(rc, r, w, plain, label, nsRole(n.Type))
		}},
		{title: "OWNER", width: 10, right: true, prio: 3, cell: ownerCell},
		{title: "PROCS", width: 5, right: true, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			if len(r.Namespace.Members) == 0 {
				return "0", roleWarn
			}
			return strconv.Itoa(len(r.Namespace.Members)), roleNormal
		}},
		{title: "CPU%", width: 5, right: true, prio: 5, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cpu, ok := rc.ix.NamespaceCPU(r.Namespace)
			if !ok || len(r.Namespace.Members) == 0 {
				return "-", roleDim
			}
			return formatCPUPercent(cpu), cpuRole(cpu)
		}},
		{title: "RSS", width: 5, right: true, prio: 6, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			if len(r.Namespace.Members) == 0 {
				return "-", roleDim
			}
			return procview.FormatBytesShort(rc.ix.NamespaceRSS(r.Namespace)), roleNormal
		}},
		{title: "HELD BY", width: 14, prio: 2, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			s := procview.HolderSummary(r.Namespace)
			if len(r.Namespace.Members) == 0 {
				return s, roleWarn
			}
			return s, roleNormal
		}},
		{title: "PROCESS", min: 10, cell: nsProcessCell},
	}
}

// ownerCell shows who owns the namespace: the creator's UID for a user
// namespace, the owning user namespace's ID for the others. A pid
// namespace owned by another user namespace than its parent pid namespace
// is accented: there ownership and nesting part (the nesting tree, o,
// draws it under its parent, the ownership tree under its owner).
func ownerCell(rc *renderCtx, r *procview.Row) (string, role) {
	n := r.Namespace
	if n.Type == inspect.UserNS {
		if n.OwnerUID < 0 {
			return "-", roleDim
		}
		return "uid " + strconv.Itoa(n.OwnerUID), roleNormal
	}
	if n.Type == inspect.PIDNS {
		if p := rc.ix.Snap.Namespace(n.Parent); p != nil && p.ID != n.ID && p.Owner != n.Owner {
			return n.Owner.String(), roleAccent
		}
	}
	return n.Owner.String(), roleDim
}

// nsProcessCell names the namespace's main process: the init of a pid
// namespace, else the lowest-numbered member, "PID comm".
func nsProcessCell(rc *renderCtx, r *procview.Row) (string, role) {
	n := r.Namespace
	var p *inspect.Process
	if n.Type == inspect.PIDNS {
		p = rc.ix.PIDNamespaceInit(n.ID)
	}
	if p == nil && len(n.Members) > 0 {
		p = rc.ix.Snap.Process(n.Members[0])
	}
	if p == nil {
		return "", roleNormal
	}
	return strconv.Itoa(p.PID) + " " + commandLine(p), roleNormal
}
