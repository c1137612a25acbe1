package diagram

import (
	"sort"

	"github.com/nscope/nscope/inspect"
)

// VethLink is one veth pair whose ends are in two network namespaces.
type VethLink struct {
	A, B         inspect.NSID
	AName, BName string
}

// VethLinks lists the veth pairs between the network namespaces whose
// content the caller read, each pair once (the end in the namespace with
// the lower ID first). A peer whose namespace was not found, or that is in
// the same namespace, is left out.
func VethLinks(net map[inspect.NSID]*inspect.NetContent) []VethLink {
	type end struct {
		ns    inspect.NSID
		index int
	}
	seen := map[[2]end]bool{}
	var out []VethLink
	for id, c := range net {
		if c == nil {
			continue
		}
		for _, ifc := range c.Interfaces {
			p := ifc.Peer
			if p == nil || p.NetNS.IsZero() || p.NetNS == id {
				continue
			}
			a, b := end{id, ifc.Index}, end{p.NetNS, p.Index}
			l := VethLink{A: id, B: p.NetNS, AName: ifc.Name, BName: p.Name}
			if nsLess(b.ns, a.ns) {
				a, b = b, a
				l = VethLink{A: l.B, B: l.A, AName: l.BName, BName: l.AName}
			}
			if seen[[2]end{a, b}] {
				continue
			}
			seen[[2]end{a, b}] = true
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].A != out[j].A {
			return nsLess(out[i].A, out[j].A)
		}
		if out[i].B != out[j].B {
			return nsLess(out[i].B, out[j].B)
		}
		return out[i].AName < out[j].AName
	})
	return out
}

func nsLess(a, b inspect.NSID) bool {
	if a.Dev != b.Dev {
		return a.Dev < b.Dev
	}
	return a.Ino < b.Ino
}
