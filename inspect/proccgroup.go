package inspect

// ParseProcCgroup parses the contents of /proc/PID/cgroup, one
// "ID:controllers:path" line per hierarchy; malformed lines are skipped.
// See cgroups(7), "/proc/[pid]/cgroup".
func ParseProcCgroup(data []byte) []ProcCgroup { return parseProcCgroup(data) }
