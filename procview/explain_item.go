package procview

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// Lesson is what "i" shows about one selected item: sentences about this
// item, worked out from the snapshot, then (for a namespace) the lesson
// about its type.
type Lesson struct {
	Title string
	// About are the sentences about this item, most telling first.
	About []string
	// Type is the lesson about the namespace type; nil for processes and
	// cgroups.
	Type *Explanation
}

// maxChainSentences is how many member processes get a PID-chain sentence.
const maxChainSentences = 3

// ExplainItem returns the lesson about the item k names, and false when it
// is not in the snapshot. It does no I/O.
func (ix *Index) ExplainItem(k Key) (Lesson, bool) {
	switch v := ix.Lookup(k).(type) {
	case *inspect.Namespace:
		return ix.explainNamespace(v), true
	case *inspect.Process:
		return ix.explainProcess(v), true
	case *inspect.Cgroup:
		return ix.explainCgroup(v), true
	}
	return Lesson{}, false
}

// explainNamespace: where it sits, what is in it, what keeps it.
func (ix *Index) explainNamespace(n *inspect.Namespace) Lesson {
	s := ix.Snap
	e := Explain(n.Type)
	l := Lesson{Title: fmt.Sprintf("%s %s:[%d]", e.Title, n.Type, n.ID.Ino), Type: &e}
	l.About = append(l.About, ix.placeSentence(n))
	if n.Type == inspect.PIDNS || n.Type == inspect.UserNS {
		if p, o := s.Namespace(n.Parent), s.Namespace(n.Owner); n.Type == inspect.PIDNS && p != nil && o != nil && p.Owner != n.Owner {
			l.About = append(l.About, fmt.Sprintf("It belongs to user namespace %s, not to the owner of its parent (user %s): here ownership and nesting part, as when each level of unshare --pid also made a user namespace.", o.ID, p.Owner))
		}
	}
	if n.Type == inspect.PIDNS {
		if init := ix.PIDNamespaceInit(n.ID); init != nil {
			l.About = append(l.About, fmt.Sprintf("Its init is PID %d (%s), PID 1 here: it reaps orphans, and when it exits the kernel kills every other process in this namespace.", init.PID, init.Comm))
		}
		shown := 0
		for _, pid := range n.Members {
			if shown == maxChainSentences {
				break
			}
			if p := s.Process(pid); p != nil && len(p.NSpid) > 1 {
				l.About = append(l.About, ix.PIDChainSentence(p, n)+".")
				shown++
			}
		}
	}
	if n.Type == inspect.UserNS {
		if sentence := ix.ownsSentence(n); sentence != "" {
			l.About = append(l.About, sentence)
		}
	}
	l.About = append(l.About, ix.keptSentences(n)...)
	return l
}

// placeSentence says where n sits: its level and parents, or its owner.
func (ix *Index) placeSentence(n *inspect.Namespace) string {
	s := ix.Snap
	if n.Initial {
		return fmt.Sprintf("This is the host's initial %s namespace: PID 1 and, unless moved, every process are in it.", n.Type)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s namespace %s", n.Type, n.ID)
	switch n.Type {
	case inspect.PIDNS, inspect.UserNS:
		fmt.Fprintf(&b, " is at nesting level %d", n.Level)
		if n.Type == inspect.UserNS && n.OwnerUID >= 0 {
			fmt.Fprintf(&b, ", created by uid %d", n.OwnerUID)
		}
		var chain []string
		for p, i := s.Namespace(n.Parent), 0; p != nil && i < maxTreeDepth; p, i = s.Namespace(p.Parent), i+1 {
			if p.Initial {
				chain = append(chain, "the host's "+n.Type.String()+" namespace")
				break
			}
			chain = append(chain, fmt.Sprintf("%s %s (level %d)", n.Type, p.ID, p.Level))
			if p.Parent == p.ID {
				break
			}
		}
		if len(chain) > 0 {
			fmt.Fprintf(&b, ": inside %s", strings.Join(chain, ", inside "))
		}
	default:
		if o := s.Namespace(n.Owner); o != nil {
			who := "the host's user namespace"
			if !o.Initial {
				who = "user namespace " + o.ID.String()
				if o.OwnerUID >= 0 {
					who += fmt.Sprintf(" (created by uid %d)", o.OwnerUID)
				}
			}
			fmt.Fprintf(&b, " belongs to %s: capabilities there are what allow changing it", who)
		} else {
			b.WriteString(" belongs to a user namespace the scanner cannot see")
		}
	}
	b.WriteString(".")
	out := b.String()
	return strings.ToUpper(out[:1]) + out[1:]
}

// PIDChainSentence says p's PID at every level from the pid namespace
// here (p's own or an ancestor of it) out to the scanner's: "PID 19214 is
// PID 2 here, 4 in its parent, 19214 on the host". The outermost level is
// "on the host" when the scanner runs in the host's pid namespace.
func (ix *Index) PIDChainSentence(p *inspect.Process, here *inspect.Namespace) string {
	s := ix.Snap
	own := s.Namespace(p.NS[inspect.PIDNS])
	if own == nil || len(p.NSpid) == 0 {
		return fmt.Sprintf("PID %d", p.PID)
	}
	// levels[i] is the namespace NSpid[len-1-i] is the PID in.
	var levels []*inspect.Namespace
	for ns, i := own, 0; ns != nil && i < len(p.NSpid); ns, i = s.Namespace(ns.Parent), i+1 {
		levels = append(levels, ns)
		if ns.Parent == ns.ID {
			break
		}
	}
	start := 0
	for i, ns := range levels {
		if here != nil && ns.ID == here.ID {
			start = i
		}
	}
	var parts []string
	for i := start; i < len(p.NSpid); i++ {
		v := p.NSpid[len(p.NSpid)-1-i]
		var ns *inspect.Namespace
		if i < len(levels) {
			ns = levels[i]
		}
		switch {
		case i == start:
			parts = append(parts, fmt.Sprintf("PID %d here", v))
		case i == len(p.NSpid)-1 && s.Host.SelfNS[inspect.PIDNS] == s.Host.InitNS[inspect.PIDNS]:
			parts = append(parts, fmt.Sprintf("%d on the host", v))
		case i == start+1:
			parts = append(parts, fmt.Sprintf("%d in its parent", v))
		case ns != nil:
			parts = append(parts, fmt.Sprintf("%d in pid %s", v, ns.ID))
		default:
			parts = append(parts, strconv.Itoa(v)+" further out")
		}
	}
	return fmt.Sprintf("PID %d is %s", p.PID, strings.Join(parts, ", "))
}

// ownsSentence counts what a user namespace owns, by type.
func (ix *Index) ownsSentence(n *inspect.Namespace) string {
	links := ix.NamespaceLinks(n.ID)
	if len(links.Owned) == 0 {
		return "It owns no other namespace."
	}
	var counts [inspect.NumNSTypes]int
	for _, o := range links.Owned {
		counts[o.Type]++
	}
	var parts []string
	for _, t := range inspect.AllNSTypes {
		if c := counts[t]; c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, t))
		}
	}
	return fmt.Sprintf("It owns %d namespace%s (%s), %d of them child user namespaces nested in it.",
		len(links.Owned), plural(len(links.Owned)), strings.Join(parts, ", "), len(links.Nested))
}

// keptSentences say what keeps n alive, and how to let it go.
func (ix *Index) keptSentences(n *inspect.Namespace) []string {
	s := ix.Snap
	var out []string
	var kept []string
	for _, h := range n.Holders {
		switch h.Kind {
		case inspect.HeldByBindMount:
			free := "umount " + shellQuote(h.Path)
			if !h.MountNS.IsZero() && h.MountNS != s.Host.SelfNS[inspect.MntNS] {
				if m := s.Namespace(h.MountNS); m != nil && len(m.Members) > 0 {
					free = fmt.Sprintf("nsenter --mount=/proc/%d/ns/mnt umount %s", m.Members[0], shellQuote(h.Path))
				}
				kept = append(kept, fmt.Sprintf("the bind mount %s (in mount namespace %s) keeps it; `%s` frees it", h.Path, h.MountNS, free))
				continue
			}
			kept = append(kept, fmt.Sprintf("the bind mount %s keeps it; `%s` frees it", h.Path, free))
		case inspect.HeldByNamedNetns:
			kept = append(kept, fmt.Sprintf("the named netns %q (a bind mount at %s) keeps it; `ip netns delete %s` frees it", h.Name, h.Path, shellQuote(h.Name)))
		case inspect.HeldByFD:
			who := fmt.Sprintf("PID %d", h.PID)
			if p := s.Process(h.PID); p != nil {
				who += " (" + p.Comm + ")"
			}
			kept = append(kept, fmt.Sprintf("fd %d of %s keeps it; it goes when that process closes the fd or exits", h.FD, who))
		case inspect.HeldForChildren:
			kept = append(kept, ix.DescribeHolderIn(n, h)+"; it goes when PID "+strconv.Itoa(h.PID)+" and everything it forked into it are gone")
		case inspect.HeldAsParent:
			kept = append(kept, fmt.Sprintf("it is the parent of %s, which keeps it until that namespace goes", h.Via))
		case inspect.HeldAsOwner:
			kept = append(kept, fmt.Sprintf("it owns %s, which keeps it until that namespace goes", h.Via))
		}
	}
	switch {
	case len(n.Members) == 0 && len(kept) == 0:
		out = append(out, "This namespace has no process, and nothing the scanner can see holds it.")
	case len(n.Members) == 0:
		out = append(out, "This namespace has no process; "+strings.Join(kept, "; ")+".")
	case len(kept) > 0:
		out = append(out, fmt.Sprintf("%d process%s in it; besides them, %s.", len(n.Members), pluralVerb(len(n.Members)), strings.Join(kept, "; ")))
	default:
		out = append(out, fmt.Sprintf("%d process%s in it, and nothing else holds it: it goes when the last one exits.", len(n.Members), pluralVerb(len(n.Members))))
	}
	return out
}

// explainProcess: its PIDs at every level, and which namespaces it shares.
func (ix *Index) explainProcess(p *inspect.Process) Lesson {
	l := Lesson{Title: fmt.Sprintf("Process %d (%s)", p.PID, p.Comm)}
	if len(p.NSpid) > 1 {
		l.About = append(l.About, ix.PIDChainSentence(p, nil)+": a pid namespace sees its own processes and those of the namespaces nested in it, each under its own number.")
	}
	var host, own, shared []string
	for _, t := range inspect.AllNSTypes {
		switch rel, _ := ix.Relation(p, t); rel {
		case NSHost:
			host = append(host, t.String())
		case NSOwn:
			own = append(own, t.String())
		case NSShared:
			shared = append(shared, t.String())
		}
	}
	switch {
	case len(own)+len(shared) == 0:
		l.About = append(l.About, "It is in every one of the host's namespaces: nothing isolates it.")
	default:
		var parts []string
		if len(host) > 0 {
			parts = append(parts, "the host's "+typeList(host))
		}
		if len(own) > 0 {
			parts = append(parts, "its own "+typeList(own))
		}
		if len(shared) > 0 {
			parts = append(parts, typeList(shared)+" shared with other processes")
		}
		l.About = append(l.About, "It is in "+strings.Join(parts, "; ")+".")
	}
	if c := ix.Container(p); c != "" {
		l.About = append(l.About, "It runs in "+c+".")
	}
	return l
}

// shellQuote quotes host text for a command the user may paste into a
// shell: as it is when it holds only characters no shell treats
// specially, else in single quotes. See sh(1), "Quoting".
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_./-+:@%=,", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// typeList names namespace types: "user namespace", "mnt, pid and net
// namespaces".
func typeList(types []string) string {
	switch len(types) {
	case 0:
		return ""
	case 1:
		return types[0] + " namespace"
	}
	return strings.Join(types[:len(types)-1], ", ") + " and " + types[len(types)-1] + " namespaces"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// pluralVerb gives "1 process is", "3 processes are".
func pluralVerb(n int) string {
	if n == 1 {
		return " is"
	}
	return "es are"
}
