// Package control is nscope's write side for cgroups: it turns limits an
// operator types ("0.5" CPUs, "512M", "max") into the exact cgroup file
// writes for cgroup v2, v1 and hybrid hosts, applies them with a crash-safe
// journal, reads the new values back from the kernel, and freezes, thaws,
// kills and undoes. It never prints and never imports charm packages.
//
// # Parsing (pure, no I/O; errors are *ValueError, errors.Is ErrInvalidValue)
//
//	ParseCPU("0.5" | "50%" | "max" | "50000 100000") (CPU, error)
//	ParseMemory("512M" | "1.5G" | "536870912" | "max") (int64, error)  // inspect.Unlimited for max
//	ParsePids("100" | "max") (int64, error)
//	ParseCPUWeight, ParseCPUShares, ParsePeriod, ParseIOMax
//	ParseLimits(cpu, memory, pids string) (Limits, error)              // the --cpu/--memory/--pids flags; "" = leave alone
//	(*Limits).SetFile("cpu.max", "50000 100000")                        // raw FILE=VALUE; allowlist V2Files, V1Files
//
// # Planning and applying
//
//	layout, _ := inspect.DetectCgroupLayout("/proc", "/sys")
//	ed := control.New(layout)                       // options: WithFS, WithJournalDir, ReadOnly, WithClock
//	t, _ := ed.Resolve("/nscope/run-1234")          // or "/sys/fs/cgroup/memory/nscope/run-1234"
//	limits, _ := control.ParseLimits("0.5", "256M", "64")
//	plan, _ := ed.Plan(t, limits)                   // reads old values; validates; writes nothing
//	for _, w := range plan.Writes { fmt.Println(w) } // preview: file, old, new
//	// plan.Confirm lists reasons to ask the operator first (root/top-level, systemd unit).
//	res, err := ed.Apply(ctx, plan)                 // journaled; res.Writes[i].Before → After (read back)
//
// Plan puts each limit in the hierarchy that carries its controller
// (layout.ForController), at the same relative path: on v1 "cpu" goes to
// cpu.cfs_quota_us/cpu.cfs_period_us (ordered so the intermediate state is
// valid), "memory" to memory.limit_in_bytes, "pids" to pids.max; on v2 to
// cpu.max, memory.max, pids.max. The cgroup directories must already exist
// (the launcher creates its own cgroup, then plans and applies limits
// before releasing the child).
//
// Apply never runs on a UI goroutine's behalf by itself: call it from a
// tea.Cmd. It refuses, before writing anything, when the editor is
// read-only (ReadOnly option, or not root with the real FS), a file is
// not allowlisted, a directory is not inside a cgroup mount (after
// symlinks), or the journal cannot be written. A failing write rolls back
// the writes before it. Kernel errors are *KernelError with the errno in
// plain words (Explain).
//
// # Freeze, kill, undo, history
//
//	p, _ := ed.PlanFreeze(t, true)       // cgroup.freeze (v2) or freezer.state (v1); root refused
//	res, _ := ed.ApplyFreeze(ctx, p)     // waits until the kernel reports frozen; or ed.Freeze / ed.Thaw
//	kp, _ := ed.PlanKill(t)              // members and method, for the confirmation
//	kres, _ := ed.Kill(ctx, kp)          // cgroup.kill, or v1: freeze, pidfd SIGKILL each member, thaw
//	p, _ = ed.PlanUndo("/app", false)    // newest undoable change of /app ("" = any); ErrUndoConflict if changed since
//	p, _ = ed.PlanUndoMatching(UndoFilter{User: ed.User()}, false) // or by file, hierarchy, change ID (ErrUndoOrder)
//	res, _ = ed.ApplyUndo(ctx, p)        // IsFreezeUndo(p): confirm first, as freeze does
//	_, res, _ = ed.Undo(ctx, "/app", false)
//	changes, _ := ed.Journal().Changes() // history, oldest first, with Status, UndoneBy and who (Change.Who)
//
// # Journal
//
// Every write is journaled (JSON lines, Entry) before and after, fsynced,
// with the user who made it (CurrentUser: the login user behind sudo and
// su), in DefaultStateDir(): $NSCOPE_STATE_DIR, /var/lib/nscope as root, else
// $XDG_STATE_HOME/nscope. Journal.Changes groups it for history; a
// "before" without an "after" (a crash mid-write) is StateUnknown, and
// undo restores it if the write happened.
//
// # For a UI
//
// Plan (a preview of exact writes, with Old values) and the *Plan's
// Confirm reasons are cheap reads; Apply, ApplyFreeze, Kill and Undo may
// block in the kernel (a memory.max write reclaims) and belong in a
// tea.Cmd that returns the *Result; WriteResult.Before → After is the
// old → new read back from the kernel, WriteResult.Errno and Error the
// refusal in plain words.
//
// What a value means is known here too, so the CLI and the TUI say it
// alike: FileValue(cg, "cpu.max") rebuilds a file's text from a snapshot,
// DescribeValue("cpu.max", "50000 100000") adds "(50% of 1 CPU)", and
// SystemdUnit names the unit that owns a cgroup path.
//
// # Testing
//
// FakeFS is an in-memory cgroupfs for v1 and v2 that emulates the kernel's
// checks and returns injected errnos; NewFakeHost builds one with a
// layout. See Documentation/admin-guide/cgroup-v2.rst and
// Documentation/admin-guide/cgroup-v1/ for the files written here.
package control
