package inspect

// PIDContent is what a pid namespace holds: its init and its processes.
// It comes from the snapshot alone. See pid_namespaces(7).
type PIDContent struct {
	// Level is the nesting depth (0 = the scanner's outermost).
	Level int `json:"level"`
	// Init is the process that is PID 1 inside, nil when there is none
	// (nothing forked into it yet, or the init has exited).
	Init *PIDInit `json:"init,omitempty"`
	// Processes is how many processes are in it, NestedProcesses how many
	// more are in pid namespaces nested inside it (it sees those too).
	Processes       int `json:"processes"`
	NestedProcesses int `json:"nested_processes"`
}

// PIDInit names the init of a pid namespace.
type PIDInit struct {
	// PID is its PID as the scanner sees it (the host's PID when the
	// scanner runs in the initial pid namespace).
	PID  int    `json:"pid"`
	Comm string `json:"comm"`
	// NSpid is its PID at every level, outermost first, ending in 1.
	NSpid []int `json:"nspid"`
}

// pidContent describes n from the snapshot.
func pidContent(snap *Snapshot, n *Namespace) *PIDContent {
	c := &PIDContent{Level: n.Level, Processes: len(n.Members)}
	for _, pid := range n.Members {
		p := snap.Process(pid)
		if p == nil {
			continue
		}
		if p.InnerPID() == 1 || (n.Level == 0 && p.PID == 1) {
			c.Init = &PIDInit{PID: p.PID, Comm: p.Comm, NSpid: p.NSpid}
			break
		}
	}
	// Processes of nested namespaces have one NSpid entry per level down
	// from the scanner's; those below n with n on their chain are counted.
	for i := range snap.Processes {
		p := &snap.Processes[i]
		if p.NS[PIDNS] == n.ID || p.NS[PIDNS].IsZero() {
			continue
		}
		for q := snap.Namespace(p.NS[PIDNS]); q != nil; q = snap.Namespace(q.Parent) {
			if q.Parent == n.ID {
				c.NestedProcesses++
				break
			}
			if q.Level <= n.Level || q.Parent == q.ID {
				break
			}
		}
	}
	return c
}
