package remote

import (
	"encoding/json"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// The bodies of the TUI's requests and replies (see the Op constants in
// package wire).

// scanReply is a full snapshot and the ID the agent keeps it under, for
// counter refreshes and namespace contents.
type scanReply struct {
	ID       string          `json:"id"`
	Snapshot json.RawMessage `json:"snapshot"`
}

// refreshRequest asks for the counters of snapshot ID, taken at Now.
type refreshRequest struct {
	ID  string    `json:"id"`
	Now time.Time `json:"now"`
}

// refreshReply is a counter refresh as a delta against what the client
// was last sent for that snapshot: the processes and cgroups whose values
// changed, by index (a refresh keeps the snapshot's structure).
type refreshReply struct {
	Time         time.Time               `json:"time"`
	ScanDuration time.Duration           `json:"scan_duration_ns"`
	Processes    map[int]inspect.Process `json:"processes,omitempty"`
	Cgroups      map[int]inspect.Cgroup  `json:"cgroups,omitempty"`
	ProcessCPU   map[int]float64         `json:"process_cpu,omitempty"`
	Read         int                     `json:"read"`
	// StructureChanged: processes came or went; a full scan is due.
	StructureChanged bool `json:"structure_changed,omitempty"`
}

// snapshotRef names a snapshot the agent keeps.
type snapshotRef struct {
	ID string `json:"id"`
}

// contentRequest asks what namespace NS of snapshot ID holds.
type contentRequest struct {
	ID string       `json:"id"`
	NS inspect.NSID `json:"ns"`
}

// editorInfo describes the agent's cgroup editor.
type editorInfo struct {
	Layout      inspect.CgroupLayout `json:"layout"`
	ReadOnly    string               `json:"read_only,omitempty"`
	JournalPath string               `json:"journal_path"`
	// User is who the journal records as making the agent's changes.
	User string `json:"user,omitempty"`
}

// planRequest asks for a plan: limits (OpPlan), a freeze or thaw
// (OpPlanFreeze), a kill (OpPlanKill) or an undo (OpPlanUndo).
type planRequest struct {
	Target control.Target  `json:"target"`
	Limits *control.Limits `json:"limits,omitempty"`
	// RawFiles are the limits' raw file names (control.Limits.RawFiles).
	RawFiles []string `json:"raw_files,omitempty"`
	Freeze   bool     `json:"freeze,omitempty"`
	Cgroup   string   `json:"cgroup,omitempty"`
	Force    bool     `json:"force,omitempty"`
	// Filter, when set, picks the change to undo (PlanUndoMatching).
	Filter *control.UndoFilter `json:"filter,omitempty"`
}

// planReply is a plan and the ID the agent keeps it under; Apply names
// the ID, so what is applied is exactly what the agent planned.
type planReply struct {
	ID       string            `json:"id"`
	Plan     *control.Plan     `json:"plan,omitempty"`
	KillPlan *control.KillPlan `json:"kill_plan,omitempty"`
}

// applyRequest applies plan ID; Freeze applies it as a freeze or thaw
// (Editor.ApplyFreeze, which waits for the freeze to settle).
type applyRequest struct {
	ID     string `json:"id"`
	Freeze bool   `json:"freeze,omitempty"`
	// Undo applies it as an undo (Editor.ApplyUndo, which waits for an
	// undone freeze or thaw to settle).
	Undo bool `json:"undo,omitempty"`
}

// applyReply is what applying did: the result (even a partial one) and
// the error in words.
type applyReply struct {
	Result     *control.Result     `json:"result,omitempty"`
	KillResult *control.KillResult `json:"kill_result,omitempty"`
	Error      string              `json:"error,omitempty"`
}

// enterPlanRequest asks how the agent would enter a process.
type enterPlanRequest struct {
	Request control.EnterRequest `json:"request"`
}
