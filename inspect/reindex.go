package inspect

// Reindex puts every slice of s in its documented order and rebuilds the
// lookup indexes (Process, Namespace, Cgroup, the trees). It is for a
// Snapshot assembled outside the scanner, such as one replayed from a
// recording; a snapshot from Scan or Load is already indexed.
func (s *Snapshot) Reindex() {
	s.sortAll()
	s.index()
}
