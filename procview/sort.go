package procview

// SortKey is the order rows are listed in. In a tree it orders siblings;
// flattened it orders every row.
type SortKey int

// The sort orders, in the order "s" cycles through them.
const (
	// SortPID lists by PID (namespaces by their lowest member PID, those
	// without members last), ascending. Cgroups have no PID order.
	SortPID SortKey = iota
	// SortCPU lists the busiest first (CPU% of a process, the sum of the
	// members' CPU% for a namespace, cores for a cgroup).
	SortCPU
	// SortMemory lists the largest first (RSS; summed over members for a
	// namespace; memory.current for a cgroup).
	SortMemory
	// SortName lists by name: command, namespace type then ID, cgroup path.
	SortName
	numSortKeys
)

// String returns the name shown in the status line.
func (s SortKey) String() string {
	switch s {
	case SortPID:
		return "PID"
	case SortCPU:
		return "CPU"
	case SortMemory:
		return "memory"
	case SortName:
		return "name"
	}
	return "?"
}

// Next returns the sort order after s, wrapping around.
func (s SortKey) Next() SortKey { return (s + 1) % numSortKeys }

// SortsFor returns the orders "s" cycles through in the view of kind k:
// every order for namespaces and processes; name, CPU and memory for
// cgroups (a cgroup has no PID of its own).
func SortsFor(k Kind) []SortKey {
	if k == KindCgroup {
		return []SortKey{SortName, SortCPU, SortMemory}
	}
	return []SortKey{SortPID, SortCPU, SortMemory, SortName}
}

// NextFor returns the order after s among SortsFor(k), wrapping around;
// the first of them when s is not one.
func (s SortKey) NextFor(k Kind) SortKey {
	sorts := SortsFor(k)
	for i, o := range sorts {
		if o == s {
			return sorts[(i+1)%len(sorts)]
		}
	}
	return sorts[0]
}
