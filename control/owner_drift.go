package control

import (
	"fmt"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// LimitDrift is a limit whose value in force in a container's cgroup is
// not what its runtime believes: someone wrote the cgroup directly (nscope
// set, echo), or the runtime's update did not reach it.
type LimitDrift struct {
	// Limit is "cpu", "cpu shares", "memory" or "pids".
	Limit string `json:"limit"`
	// Believed is what the runtime believes, Actual what the cgroup holds,
	// both for people ("64 MiB", "unlimited", "20% of 1 CPU").
	Believed string `json:"believed"`
	Actual   string `json:"actual"`
}

// String returns "memory 256 MiB (docker believes 64 MiB)"-like text
// without the runtime: "memory 256 MiB, believed 64 MiB".
func (d LimitDrift) String() string {
	return fmt.Sprintf("%s %s, believed %s", d.Limit, d.Actual, d.Believed)
}

// CgroupDrift compares the limits a cgroup holds with those its
// container's runtime believes, for the limits that live in the cgroup's
// hierarchy (a v1 cgroup holds one controller's). A limit the runtime did
// not set is believed unlimited; CPU shares are compared only when set.
func CgroupDrift(cg *inspect.Cgroup, believed inspect.ContainerLimits) []LimitDrift {
	if cg == nil {
		return nil
	}
	var out []LimitDrift
	l := &cg.Limits
	if l.CPUQuotaUS != nil && l.CPUPeriodUS != nil {
		bq, bp := inspect.Unlimited, int64(DefaultPeriodUS)
		if believed.CPUQuotaUS != nil && *believed.CPUQuotaUS > 0 {
			bq = *believed.CPUQuotaUS
			if believed.CPUPeriodUS != nil && *believed.CPUPeriodUS > 0 {
				bp = *believed.CPUPeriodUS
			}
		}
		aq, ap := *l.CPUQuotaUS, *l.CPUPeriodUS
		same := (bq == inspect.Unlimited) == (aq == inspect.Unlimited) && (bq == inspect.Unlimited || bq*ap == aq*bp)
		if !same {
			out = append(out, LimitDrift{Limit: "cpu", Believed: procview.FormatCPUQuota(bq, bp), Actual: procview.FormatCPUQuota(aq, ap)})
		}
	}
	if believed.CPUShares != nil {
		if l.CPUShares != nil && *l.CPUShares != *believed.CPUShares {
			out = append(out, LimitDrift{Limit: "cpu shares", Believed: fmt.Sprint(*believed.CPUShares), Actual: fmt.Sprint(*l.CPUShares)})
		}
		if w := SharesToWeight(*believed.CPUShares); l.CPUWeight != nil && *l.CPUWeight != w {
			out = append(out, LimitDrift{Limit: "cpu weight", Believed: fmt.Sprintf("%d (shares %d)", w, *believed.CPUShares), Actual: fmt.Sprint(*l.CPUWeight)})
		}
	}
	if l.MemoryMax != nil {
		b := believedOrUnlimited(believed.MemoryMax)
		// The kernel keeps whole pages.
		if !samePages(b, *l.MemoryMax) {
			out = append(out, LimitDrift{Limit: "memory", Believed: memLimitWords(b), Actual: memLimitWords(*l.MemoryMax)})
		}
	}
	if l.PidsMax != nil {
		if b := believedOrUnlimited(believed.PidsMax); b != *l.PidsMax {
			out = append(out, LimitDrift{Limit: "pids", Believed: countWords(b), Actual: countWords(*l.PidsMax)})
		}
	}
	return out
}

// ContainerDrift is CgroupDrift over the container's own cgroups in every
// hierarchy of the snapshot.
func ContainerDrift(snap *inspect.Snapshot, c *inspect.Container) []LimitDrift {
	var out []LimitDrift
	seen := map[string]bool{}
	for _, h := range snap.Hierarchies {
		for _, d := range CgroupDrift(snap.ContainerCgroup(c, h.ID), c.Limits) {
			if !seen[d.Limit] {
				seen[d.Limit] = true
				out = append(out, d)
			}
		}
	}
	return out
}

func believedOrUnlimited(v *int64) int64 {
	if v == nil || *v <= 0 {
		return inspect.Unlimited
	}
	return *v
}

func samePages(a, b int64) bool {
	if a == inspect.Unlimited || b == inspect.Unlimited {
		return a == b
	}
	return a/4096 == b/4096
}

func countWords(v int64) string {
	if v == inspect.Unlimited {
		return "unlimited"
	}
	return fmt.Sprint(v)
}
