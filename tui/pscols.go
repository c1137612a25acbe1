package tui

import (
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// processColumns are the columns of the Processes view for a terminal
// total cells wide.
func processColumns(total int) []column {
	whereW := min(max(total/6, 12), 30)
	return []column{
		{title: "PID", width: 7, right: true, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return strconv.Itoa(r.Process.PID), roleNormal
		}},
		{title: "NSPID", width: 5, right: true, prio: 3, cell: nspidCell},
		{title: "USER", width: 8, prio: 4, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return r.Process.User, roleNormal
		}},
		{title: "S", width: 1, prio: 8, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return r.Process.State, roleNormal
		}},
		{title: "THR", width: 4, right: true, prio: 9, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return strconv.Itoa(r.Process.Threads), roleNormal
		}},
		{title: "CPU%", width: 5, right: true, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cpu, ok := rc.ix.ProcessCPU(r.Process)
			if !ok {
				return "-", roleDim
			}
			return formatCPUPercent(cpu), cpuRole(cpu)
		}},
		{title: "RSS", width: 5, right: true, prio: 2, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			if r.Process.Kernel {
				return "-", roleDim
			}
			return procview.FormatBytesShort(r.Process.RSSBytes), roleNormal
		}},
		{title: "CONTAINER/CGROUP", width: whereW, prio: 5, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			if c := rc.ix.Container(r.Process); c != "" {
				return c, roleAccent
			}
			return procview.PrimaryCgroup(rc.ix.Snap, r.Process), roleDim
		}},
		{title: "COMMAND", min: 30, draw: func(rc *renderCtx, r *procview.Row, w int, plain bool) string {
			ro := roleNormal
			if r.Process.Kernel || r.Process.State == "X" {
				// Kernel threads, and processes that exited since the
				// last full scan, are drawn dim.
				ro = roleKernel
			}
			return treeLabel(rc, r, w, plain, commandLine(r.Process), ro)
		}},
	}
}

// nspidCell shows the PID inside the process's own pid namespace when
// that is not the host's, so "1" marks a container's init.
func nspidCell(_ *renderCtx, r *procview.Row) (string, role) {
	if len(r.Process.NSpid) < 2 {
		return "", roleNormal
	}
	return strconv.Itoa(r.Process.InnerPID()), roleAccent
}

// commandLine returns the command line, or "[comm]" for kernel threads
// and processes without one (zombies), as ps does.
func commandLine(p *inspect.Process) string {
	if len(p.Cmdline) == 0 {
		return "[" + p.Comm + "]"
	}
	return strings.Join(p.Cmdline, " ")
}

// formatCPUPercent renders a CPU% compactly: "0.0", "3.5", "45", "350".
func formatCPUPercent(p float64) string {
	if p < 9.95 {
		return strconv.FormatFloat(p, 'f', 1, 64)
	}
	return strconv.FormatFloat(p, 'f', 0, 64)
}

// cpuRole colours a process CPU% by how much of one core it uses.
func cpuRole(p float64) role {
	if p < 1 {
		return roleDim
	}
	return usageRole(p)
}
