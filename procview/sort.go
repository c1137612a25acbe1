package procview

// SortKey is the order rows are listed in. In a tree it orders siblings;
// flattened it orders every row.
type SortKey int

// The sort orders, in the order "s" cycles through them.
const (
	// SortPID lists by PID (namespaces and cgroups by their lowest member
	// PID, those without members last), ascending.
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
