package inspect

import (
	"fmt"
	"strconv"
	"strings"
)

// CgroupNSContent is what a cgroup namespace holds: the cgroup that is
// "/" inside it, in every hierarchy. See cgroup_namespaces(7).
type CgroupNSContent struct {
	Roots []CgroupNSRoot `json:"roots"`
}

// CgroupNSRoot is the root of a cgroup namespace in one hierarchy.
type CgroupNSRoot struct {
	// Hierarchy and Controllers are the first two fields of the
	// /proc/PID/cgroup line (hierarchy 0 and no controllers for v2).
	Hierarchy   int    `json:"hierarchy"`
	Controllers string `json:"controllers"`
	// Root is the path, as the scanner sees the hierarchy, of the cgroup
	// that is "/" inside the namespace.
	Root string `json:"root"`
	// Inside and Outside are the member's cgroup as seen from inside the
	// namespace and from the scanner: Outside is Root joined with Inside.
	Inside  string `json:"inside"`
	Outside string `json:"outside"`
}

// CgroupNSRootOf works out the root of a cgroup namespace from one
// process's cgroup path seen from inside (relative to the root, starting
// with "/..") when the process is outside the root) and from outside. It
// reports false when the paths disagree, or when the process sits outside
// the namespace's root, which leaves the root's last components unknown.
func CgroupNSRootOf(inside, outside string) (string, bool) {
	if !strings.HasPrefix(inside, "/") || !strings.HasPrefix(outside, "/") {
		return "", false
	}
	in := splitPath(inside)
	if len(in) > 0 && in[0] == ".." {
		return "", false
	}
	out := splitPath(outside)
	if len(in) > len(out) {
		return "", false
	}
	for i := range in {
		if in[len(in)-1-i] != out[len(out)-1-i] {
			return "", false
		}
	}
	return "/" + strings.Join(out[:len(out)-len(in)], "/"), true
}

// splitPath returns the components of a slash-separated path.
func splitPath(p string) []string {
	var out []string
	for c := range strings.SplitSeq(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// readCgroupNSContent reads a member's /proc/PID/cgroup twice, from here
// and from a throw-away thread inside the namespace (the kernel prints the
// paths relative to the reader's cgroup namespace), and works out the root
// in each hierarchy from the pair.
func (s *Scanner) readCgroupNSContent(snap *Snapshot, r *nsReach) (*CgroupNSContent, error) {
	if r.fd < 0 {
		return nil, ErrNotLive
	}
	n := snap.Namespace(r.id)
	pids := n.Members
	if len(pids) == 0 {
		// No process in it: try the scanner itself; its cgroups may lie
		// under the namespace's root.
		pids = []int{snap.Host.SelfPID}
	}
	for i, pid := range pids {
		if i == 8 {
			break
		}
		roots, ok := s.cgroupRootsVia(r, pid)
		if ok {
			return &CgroupNSContent{Roots: roots}, nil
		}
	}
	return nil, fmt.Errorf("no process is inside its root to read it through: %w", ErrUnreachable)
}

// cgroupRootsVia reads pid's cgroups from both sides and pairs them by
// hierarchy.
func (s *Scanner) cgroupRootsVia(r *nsReach, pid int) ([]CgroupNSRoot, bool) {
	path := s.cfg.procRoot + "/" + strconv.Itoa(pid) + "/cgroup"
	var buf []byte
	outData, err := s.readFileCapped(path, &buf)
	if err != nil {
		return nil, false
	}
	outside := parseProcCgroup(outData)
	var inside []ProcCgroup
	err = joinedThread(r.fd, CgroupNS, func() error {
		var buf []byte
		data, err := s.readFileCapped(path, &buf)
		if err == nil {
			inside = parseProcCgroup(data)
		}
		return err
	})
	if err != nil || len(inside) != len(outside) || len(inside) == 0 {
		return nil, false
	}
	// A process that moved between the reads gives a root that is no root.
	var buf2 []byte
	if again, err := s.readFileCapped(path, &buf2); err != nil || string(again) != string(outData) {
		return nil, false
	}
	roots := make([]CgroupNSRoot, 0, len(inside))
	for i, in := range inside {
		out := outside[i]
		if in.Hierarchy != out.Hierarchy {
			return nil, false
		}
		root, ok := CgroupNSRootOf(in.Path, out.Path)
		if !ok {
			return nil, false
		}
		roots = append(roots, CgroupNSRoot{Hierarchy: in.Hierarchy, Controllers: in.Controllers, Root: root, Inside: in.Path, Outside: out.Path})
	}
	return roots, true
}
