package control

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// OwnerNote is what nscope says before it changes, freezes or kills a
// cgroup that a container runtime or systemd owns: who owns it, what that
// owner believes, that it will not know of nscope's change and may
// overwrite it, and the owner's own command that would make the change
// persist (or that is the coherent way to do it). The plan carries it, the
// CLI prints it, the TUI's preview shows it and the journal keeps it.
// Names and values come from runtime state files: escape at the sink.
type OwnerNote struct {
	// Manager is the runtime ("docker", "podman", "runc", "lxc", ...) or
	// "systemd" for a unit alone.
	Manager string `json:"manager"`
	// Name is the container's name or the unit; ID the container's ID.
	Name string `json:"name"`
	ID   string `json:"id,omitempty"`
	// Unit is the systemd unit too holding the cgroup, where systemd is
	// the service manager.
	Unit string `json:"unit,omitempty"`
	// State is the runtime's word for the container's state.
	State string `json:"state,omitempty"`
	// Believes lists the limits the runtime believes are in force.
	Believes string `json:"believes,omitempty"`
	// Unaware says that the owner will not know and what it may do.
	Unaware string `json:"unaware"`
	// Persist is the owner's command that would make this change its own
	// (or why there is none).
	Persist string `json:"persist,omitempty"`
	// Coherent names the owner's own way to do this and what its tools
	// show meanwhile.
	Coherent string `json:"coherent,omitempty"`
}

// Lines returns the note as sentences, for the CLI and the TUI.
func (n *OwnerNote) Lines() []string {
	if n == nil {
		return nil
	}
	who := n.Manager + " container " + n.Name
	if n.Manager == "systemd" {
		who = "systemd unit " + n.Name
	}
	first := "owned by " + who
	if n.State != "" {
		first += " (" + n.State + ")"
	}
	if n.Believes != "" {
		first += "; " + n.Manager + " believes: " + n.Believes
	}
	out := []string{first, n.Unaware}
	if n.Persist != "" {
		out = append(out, n.Persist)
	}
	if n.Coherent != "" {
		out = append(out, n.Coherent)
	}
	return out
}

// confirmReason is the one-line reason to confirm a change of an owned
// cgroup; the note's lines say the rest.
func (n *OwnerNote) confirmReason(path, action string) string {
	if n.Manager == "systemd" {
		return n.Unaware + prefixed("; ", n.Persist)
	}
	if n.Manager == "unknown" {
		return n.Unaware
	}
	what := map[string]string{"set": "this change", "freeze": "this freeze", "kill": "this kill"}[action]
	return fmt.Sprintf("%s is %s container %s's cgroup: %s will not know of %s", path, n.Manager, n.Name, n.Manager, what)
}

// prefixed returns sep+s, or "" for an empty s.
func prefixed(sep, s string) string {
	if s == "" {
		return ""
	}
	return sep + s
}

// ownerNote builds the note for action ("set", "freeze", "thaw", "kill")
// on the cgroup at path, or returns nil when nobody owns it. p is the set
// plan (for the persisting command), nil for the others.
func (e *Editor) ownerNote(path, action string, l *Limits, p *Plan, periodUS int64) *OwnerNote {
	o, err := e.ownerOf(path)
	if err != nil {
		return &OwnerNote{Manager: "unknown", Name: path,
			Unaware: fmt.Sprintf("nscope could not tell whether a container runtime owns %s (%v)", path, err)}
	}
	if o == nil {
		return nil
	}
	if o.Container == nil {
		return systemdNote(o.Unit, path, action, l, periodUS)
	}
	c := o.Container
	rt := c.Runtime
	n := &OwnerNote{Manager: rt, Name: c.Name, ID: c.ID, Unit: o.Unit, State: c.State}
	if o.Nested {
		n.Unaware = fmt.Sprintf("%s is inside %s container %s's cgroup %s, which %s manages; %s does not know this cgroup, and the container's own limits still bound it",
			path, rt, c.Name, o.ContainerCgroup, rt, rt)
		return n
	}
	if action == "set" {
		n.Believes = believedLimits(c.Limits)
	}
	n.Unaware = runtimeUnaware(rt, action)
	if action == "thaw" && (rt == "docker" || rt == "podman") {
		if c.State == "paused" {
			n.Unaware = fmt.Sprintf("%s believes it is paused (%s pause): thawed behind its back, \"%s ps\" keeps showing it Paused", rt, rt, rt)
		} else {
			n.Unaware = fmt.Sprintf("%s did not pause it (\"%s ps\" shows it Up): thawing a freeze made outside %s is right", rt, rt, rt)
		}
	}
	switch action {
	case "set":
		n.Persist = persistCommand(c, l, p, periodUS)
	case "freeze", "thaw":
		n.Coherent = coherentFreeze(c, action == "freeze")
	case "kill":
		n.Coherent = coherentKill(c)
	}
	if o.Unit != "" && action == "set" {
		n.Unaware += fmt.Sprintf("; systemd unit %s holds it too and may revert a direct write on daemon-reload", o.Unit)
	}
	return n
}

// systemdNote is the note for a cgroup only systemd owns.
func systemdNote(unit, path, action string, l *Limits, periodUS int64) *OwnerNote {
	n := &OwnerNote{Manager: "systemd", Name: unit}
	switch action {
	case "set":
		n.Unaware = fmt.Sprintf("%s is managed by systemd unit %s: systemd may revert a direct write (on daemon-reload or a unit change)", path, unit)
		if l != nil {
			if hint := SetPropertyHint(unit, *l, periodUS); hint != "" {
				n.Persist = "to persist it run: " + hint
			}
		}
	case "freeze", "thaw":
		n.Unaware = fmt.Sprintf("%s belongs to systemd unit %s; \"systemctl freeze %s\" is the systemd way", path, unit, unit)
		if action == "thaw" {
			n.Unaware = fmt.Sprintf("%s belongs to systemd unit %s; \"systemctl thaw %s\" is the systemd way", path, unit, unit)
		}
	case "kill":
		n.Unaware = fmt.Sprintf("%s belongs to systemd unit %s; systemd may restart it (\"systemctl kill %s\" or \"systemctl stop %s\" is the systemd way)", path, unit, unit, unit)
	}
	return n
}

// believedLimits says the limits a runtime believes, unset ones as none.
func believedLimits(l inspect.ContainerLimits) string {
	var parts []string
	if l.CPUQuotaUS != nil && *l.CPUQuotaUS > 0 {
		period := int64(DefaultPeriodUS)
		if l.CPUPeriodUS != nil && *l.CPUPeriodUS > 0 {
			period = *l.CPUPeriodUS
		}
		parts = append(parts, fmt.Sprintf("cpu %s (quota %dµs per %s)", procview.FormatCPUQuota(*l.CPUQuotaUS, period), *l.CPUQuotaUS, formatMicros(period)))
	} else {
		parts = append(parts, "no cpu limit")
	}
	if l.CPUShares != nil {
		parts = append(parts, fmt.Sprintf("cpu shares %d", *l.CPUShares))
	}
	if l.MemoryMax != nil && *l.MemoryMax > 0 {
		parts = append(parts, "memory "+procview.FormatBytes(*l.MemoryMax))
	} else {
		parts = append(parts, "no memory limit")
	}
	if l.MemorySwap != nil {
		if *l.MemorySwap < 0 {
			parts = append(parts, "memory+swap unlimited")
		} else {
			parts = append(parts, "memory+swap "+procview.FormatBytes(*l.MemorySwap))
		}
	}
	if l.PidsMax != nil && *l.PidsMax > 0 {
		parts = append(parts, fmt.Sprintf("pids %d", *l.PidsMax))
	} else {
		parts = append(parts, "no pids limit")
	}
	return strings.Join(parts, ", ")
}

// runtimeUnaware says what the runtime will not see and may do.
func runtimeUnaware(rt, action string) string {
	switch rt {
	case "docker", "podman":
		switch action {
		case "set":
			return fmt.Sprintf("%s will not know of this change: \"%s inspect\" keeps showing its own values, and \"%s update\" or a restart may overwrite nscope's", rt, rt, rt)
		case "freeze":
			return fmt.Sprintf("%s will not know it is frozen: \"%s ps\" keeps showing it Up, \"%s pause\" then fails and \"%s unpause\" says it is not paused", rt, rt, rt, rt)
		case "thaw":
			return fmt.Sprintf("%s will not know it was thawed by nscope", rt)
		case "kill":
			return fmt.Sprintf("%s sees the container's init die and applies its restart policy", rt)
		}
	case "runc", "crun":
		switch action {
		case "set":
			return fmt.Sprintf("%s keeps the limits of its spec in its state; \"%s update\" may overwrite nscope's", rt, rt)
		case "freeze", "thaw":
			return fmt.Sprintf("%s reads the freezer itself: \"%s list\" shows the container paused while it is frozen", rt, rt)
		case "kill":
			return fmt.Sprintf("%s keeps the container's state until \"%s delete\"", rt, rt)
		}
	case "k8s", "containerd", "cri-o":
		switch action {
		case "set":
			return "the kubelet or containerd set these limits from the pod's spec and will not know; a pod resize or restart overwrites nscope's"
		case "freeze":
			return "the kubelet will not know it is frozen: its probes fail and it may restart the container"
		case "kill":
			return "the kubelet sees the container die and restarts it as its restartPolicy says"
		}
		return "the kubelet will not know"
	case "lxc":
		switch action {
		case "set":
			return "LXC will not know: its config keeps its own lxc.cgroup values and applies them at the next start"
		case "freeze":
			return "LXC will not know it is frozen: lxc-info keeps saying RUNNING"
		case "kill":
			return "LXC sees the container stop"
		}
	}
	return fmt.Sprintf("%s will not know of nscope's %s", rt, action)
}

// persistCommand returns the runtime's command that would make the
// planned limits its own, or why there is none.
func persistCommand(c *inspect.Container, l *Limits, p *Plan, periodUS int64) string {
	if l == nil {
		return ""
	}
	rt := c.Runtime
	var flags, missing []string
	cpuFlags := func() {
		if l.CPU == nil {
			return
		}
		if l.CPU.Unlimited {
			flags = append(flags, "--cpu-quota", "-1")
			return
		}
		per := l.CPU.PeriodUS
		if per == 0 {
			per = periodUS
		}
		if per == 0 {
			per = DefaultPeriodUS
		}
		q, err := l.CPU.QuotaFor(per)
		if err != nil {
			return
		}
		if (rt == "docker" || rt == "podman") && per == DefaultPeriodUS {
			flags = append(flags, "--cpus", strconv.FormatFloat(float64(q)/float64(per), 'f', -1, 64))
			return
		}
		flags = append(flags, "--cpu-period", strconv.FormatInt(per, 10), "--cpu-quota", strconv.FormatInt(q, 10))
	}
	var memsw string
	if p != nil {
		for _, w := range p.Writes {
			if w.File == memswFile {
				memsw = w.New
			}
		}
	}
	switch rt {
	case "docker", "podman", "runc", "crun":
		cpuFlags()
		shares := "--cpu-shares"
		if rt == "runc" || rt == "crun" {
			shares = "--cpu-share"
		}
		switch {
		case l.CPUShares != nil:
			flags = append(flags, shares, strconv.FormatInt(*l.CPUShares, 10))
		case l.CPUWeight != nil:
			flags = append(flags, shares, strconv.FormatInt(WeightToShares(*l.CPUWeight), 10))
		}
		if l.MemoryMax != nil {
			if *l.MemoryMax == inspect.Unlimited && (rt == "docker" || rt == "podman") {
				missing = append(missing, fmt.Sprintf("\"%s update\" cannot lift a memory limit (recreate the container without --memory)", rt))
			} else {
				flags = append(flags, "--memory", updateSize(rt, *l.MemoryMax))
				if memsw != "" {
					if v, err := strconv.ParseInt(memsw, 10, 64); err == nil {
						memsw = updateSize(rt, v)
					}
					flags = append(flags, "--memory-swap", memsw)
				}
			}
		}
		if l.PidsMax != nil {
			v := *l.PidsMax
			if v == inspect.Unlimited {
				v = -1
			}
			flags = append(flags, "--pids-limit", strconv.FormatInt(v, 10))
		}
		if l.MemoryHigh != nil || l.MemoryLow != nil {
			missing = append(missing, fmt.Sprintf("%s has no flag for memory.high or memory.low", rt))
		}
		if len(l.IO) > 0 {
			missing = append(missing, fmt.Sprintf("\"%s update\" has no flag for io.max", rt))
		}
		name := c.Name
		if rt == "runc" || rt == "crun" {
			name = c.ID
		}
		out := ""
		if len(flags) > 0 {
			out = fmt.Sprintf("to make it %s's own: %s update %s %s", rt, rt, strings.Join(flags, " "), shellQuote(name))
		}
		if len(missing) > 0 {
			if out != "" {
				out += "; "
			}
			out += strings.Join(missing, "; ")
		}
		return out
	case "k8s", "containerd", "cri-o":
		return "to make it persist, change the pod's resources in its spec (kubectl edit, or the workload's manifest): the kubelet owns this cgroup"
	case "lxc":
		return fmt.Sprintf("to make it persist, set lxc.cgroup (v1) or lxc.cgroup2 (v2) keys in /var/lib/lxc/%s/config", c.Name)
	case "nspawn":
		return fmt.Sprintf("to make it persist: systemctl set-property machine-%s.scope (with systemd), or the machine's .nspawn settings", c.Name)
	}
	return ""
}

// updateSize renders a size for an update command: docker and podman take
// units ("256m"), runc and crun bytes; -1 is no limit.
func updateSize(rt string, v int64) string {
	if v == inspect.Unlimited {
		return "-1"
	}
	if rt == "docker" || rt == "podman" {
		for _, u := range []struct {
			suffix string
			size   int64
		}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
			if v%u.size == 0 {
				return strconv.FormatInt(v/u.size, 10) + u.suffix
			}
		}
	}
	return strconv.FormatInt(v, 10)
}

// coherentFreeze is the runtime's own pause (or resume).
func coherentFreeze(c *inspect.Container, freeze bool) string {
	rt, name := c.Runtime, shellQuote(c.Name)
	switch rt {
	case "docker", "podman":
		if freeze {
			return fmt.Sprintf("\"%s pause %s\" is the coherent choice: \"%s ps\" then shows it Paused and \"%s unpause %s\" resumes it", rt, name, rt, rt, name)
		}
		if c.State == "paused" {
			return fmt.Sprintf("\"%s unpause %s\" is the coherent choice", rt, name)
		}
		return ""
	case "runc", "crun":
		if freeze {
			return fmt.Sprintf("\"%s pause %s\" is the runtime's own way", rt, shellQuote(c.ID))
		}
		return fmt.Sprintf("\"%s resume %s\" is the runtime's own way", rt, shellQuote(c.ID))
	case "lxc":
		if freeze {
			return fmt.Sprintf("\"lxc-freeze -n %s\" is the coherent choice: lxc-info then says FROZEN", name)
		}
		return fmt.Sprintf("\"lxc-unfreeze -n %s\" is the runtime's own way", name)
	case "containerd":
		if freeze {
			return fmt.Sprintf("\"ctr task pause %s\" is the runtime's own way", shellQuote(c.ID))
		}
		return fmt.Sprintf("\"ctr task resume %s\" is the runtime's own way", shellQuote(c.ID))
	}
	return ""
}

// coherentKill is the runtime's own way to stop the container.
func coherentKill(c *inspect.Container) string {
	name := shellQuote(c.Name)
	switch c.Runtime {
	case "docker", "podman":
		return fmt.Sprintf("\"%s kill %s\" (or \"%s stop %s\") is the coherent choice", c.Runtime, name, c.Runtime, name)
	case "runc", "crun":
		return fmt.Sprintf("\"%s kill %s KILL\" is the runtime's own way", c.Runtime, shellQuote(c.ID))
	case "lxc":
		return fmt.Sprintf("\"lxc-stop -k -n %s\" is the runtime's own way", name)
	case "k8s":
		return "deleting the pod (kubectl delete pod) is the coherent choice"
	}
	return ""
}

// shellQuote quotes s for a command line a user may paste: as is when it
// is plain, else in single quotes.
func shellQuote(s string) string {
	plain := s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-/:@%+=,", r))
	})
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
