package wire

import (
	"encoding/json"
	"fmt"
)

// Ops a request names.
const (
	// OpExec runs an nscope command line on the agent's host (ExecRequest);
	// the stream carries its standard streams and ends with Exit.
	OpExec = "exec"
	// OpResult asks for the outcome of an earlier request by its ID
	// (ResultQuery), after the connection that sent it was lost.
	OpResult = "result"
	// OpScan takes a full snapshot (ScanReply).
	OpScan = "scan"
	// OpRefresh refreshes the counters of a snapshot (RefreshRequest,
	// RefreshReply).
	OpRefresh = "refresh"
	// OpForget drops a snapshot the agent keeps for refreshes (Forget).
	OpForget = "forget"
	// OpContent reads what a namespace holds (ContentRequest).
	OpContent = "content"
	// OpEditor describes the agent's cgroup editor (EditorInfo).
	OpEditor = "editor"
	// OpPlan, OpPlanFreeze, OpPlanKill and OpPlanUndo plan a change
	// (PlanRequest, PlanReply); OpApply applies a plan by its ID (ApplyRequest).
	OpPlan       = "plan"
	OpPlanFreeze = "plan-freeze"
	OpPlanKill   = "plan-kill"
	OpPlanUndo   = "plan-undo"
	OpApply      = "apply"
	// OpChanges lists the journal's changes.
	OpChanges = "changes"
	// OpEnterPlan plans entering a process (control.EnterRequest).
	OpEnterPlan = "enter-plan"
)

// RequestMsg opens a stream.
type RequestMsg struct {
	Op string `json:"op"`
	// ID is the request's idempotency ID: an agent never carries out two
	// requests with the same ID, and answers OpResult for it. Empty for
	// requests that change nothing.
	ID string `json:"id,omitempty"`
	// Exec is the command line of an OpExec.
	Exec *ExecRequest `json:"exec,omitempty"`
	// Body is the op's own request.
	Body json.RawMessage `json:"body,omitempty"`
}

// ExecRequest is an nscope command line to run on the agent's host as if
// typed there.
type ExecRequest struct {
	// Args are the arguments after "nscope".
	Args []string `json:"args"`
	// Env are NAME=VALUE pairs added to the agent's environment (TERM,
	// LANG, NO_COLOR, ...).
	Env []string `json:"env,omitempty"`
	// TTY says which of the client's standard streams are a terminal; the
	// agent gives those a pseudo-terminal of Cols x Rows.
	TTY TTYRequest `json:"tty"`
	// Once marks a command that must never run twice (it may change the
	// host): its outcome is recorded under the request ID, and a
	// connection lost before Exit asks for it with OpResult instead of
	// running it again.
	Once bool `json:"once,omitempty"`
}

// TTYRequest says which standard streams are terminals and their size.
type TTYRequest struct {
	Stdin  bool `json:"stdin,omitempty"`
	Stdout bool `json:"stdout,omitempty"`
	Stderr bool `json:"stderr,omitempty"`
	Cols   int  `json:"cols,omitempty"`
	Rows   int  `json:"rows,omitempty"`
}

// Any reports whether any stream is a terminal.
func (t TTYRequest) Any() bool { return t.Stdin || t.Stdout || t.Stderr }

// ResizeMsg is a terminal's new size.
type ResizeMsg struct {
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}

// SignalMsg forwards a signal the client received (by name: "INT",
// "TERM", "HUP", "QUIT").
type SignalMsg struct {
	Signal string `json:"signal"`
}

// ExitMsg ends an exec stream: the command's exit status.
type ExitMsg struct {
	// Code is the exit status (128+N for signal N, as a shell says).
	Code int `json:"code"`
	// Replayed marks the outcome of an earlier request given again from
	// the agent's record (OpResult, or a repeated ID).
	Replayed bool `json:"replayed,omitempty"`
}

// ResultQuery asks for the outcome of request ID.
type ResultQuery struct {
	ID string `json:"id"`
}

// ErrorMsg ends a stream with an error, in words for the user.
type ErrorMsg struct {
	Message string `json:"message"`
	// Code lets the client branch: one of the Code* constants, or empty.
	Code string `json:"code,omitempty"`
}

// Error codes of an ErrorMsg.
const (
	// CodeUnknown: the request's outcome is not known (the agent that
	// carried it out stopped before recording it).
	CodeUnknown = "unknown"
	// CodeNoRecord: the agent has no record of the ID; it never ran.
	CodeNoRecord = "no-record"
	// CodeBadRequest: the request was malformed.
	CodeBadRequest = "bad-request"
	// CodeFailed: the op failed; Message says why.
	CodeFailed = "failed"
)

// Error implements error.
func (e *ErrorMsg) Error() string { return e.Message }

// Marshal encodes v as JSON for a payload; it panics on a type that
// cannot be encoded, which is a programming error.
func Marshal(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("wire: marshal %T: %v", v, err))
	}
	return data
}
