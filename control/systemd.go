package control

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// SystemdUnit returns the systemd unit that owns a cgroup path: the last
// component ending in .slice, .service or .scope ("docker-1a2b.scope" for
// "/system.slice/docker-1a2b.scope/init"), or "" when systemd does not
// manage it. See systemd.resource-control(5).
func SystemdUnit(cgroupPath string) string {
	parts := strings.Split(strings.Trim(cgroupPath, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if strings.HasSuffix(p, ".slice") || strings.HasSuffix(p, ".service") || strings.HasSuffix(p, ".scope") {
			return p
		}
	}
	return ""
}

// SetPropertyHint returns the systemctl command that would make the
// limits persist for unit, e.g. `systemctl set-property docker.service
// CPUQuota=50% MemoryMax=536870912`, or "" when no limit maps to a
// property. periodUS is the period a Cores limit is computed with.
func SetPropertyHint(unit string, l Limits, periodUS int64) string {
	var props []string
	if l.CPU != nil {
		switch {
		case l.CPU.Unlimited:
			props = append(props, "CPUQuota=")
		default:
			p := l.CPU.PeriodUS
			if p == 0 {
				p = periodUS
			}
			if p == 0 {
				p = DefaultPeriodUS
			}
			if q, err := l.CPU.QuotaFor(p); err == nil {
				props = append(props, "CPUQuota="+strconv.FormatFloat(float64(q)*100/float64(p), 'f', -1, 64)+"%")
			}
			if l.CPU.PeriodUS > 0 {
				props = append(props, "CPUQuotaPeriodSec="+formatMicros(l.CPU.PeriodUS))
			}
		}
	}
	if l.CPUWeight != nil {
		props = append(props, fmt.Sprintf("CPUWeight=%d", *l.CPUWeight))
	} else if l.CPUShares != nil {
		props = append(props, fmt.Sprintf("CPUWeight=%d", SharesToWeight(*l.CPUShares)))
	}
	mem := func(name string, v *int64) {
		if v == nil {
			return
		}
		if *v == inspect.Unlimited {
			props = append(props, name+"=infinity")
		} else {
			props = append(props, fmt.Sprintf("%s=%d", name, *v))
		}
	}
	mem("MemoryMax", l.MemoryMax)
	mem("MemoryHigh", l.MemoryHigh)
	mem("MemoryLow", l.MemoryLow)
	mem("TasksMax", l.PidsMax)
	if len(props) == 0 {
		return ""
	}
	return "systemctl set-property " + unit + " " + strings.Join(props, " ")
}
