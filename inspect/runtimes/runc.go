package runtimes

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"
)

// runc keeps each container's state in ROOT/ID/state.json: ROOT is
// /run/runc by default (podman and CRI-O use it too), docker's is
// EXEC-ROOT/runtime-runc/moby, containerd's STATE/runc/NAMESPACE, a
// rootless user's $XDG_RUNTIME_DIR/runc. While exec.fifo exists beside it
// the container is created but not started.

// runcNamespaceTypes maps libcontainer's namespace names to the OCI spec's.
var runcNamespaceTypes = map[string]string{
	"NEWNS":     "mount",
	"NEWNET":    "network",
	"NEWUTS":    "uts",
	"NEWPID":    "pid",
	"NEWIPC":    "ipc",
	"NEWUSER":   "user",
	"NEWCGROUP": "cgroup",
	"NEWTIME":   "time",
}

// ParseRuncState parses a runc state.json.
func ParseRuncState(data []byte) (*Record, error) {
	var j struct {
		ID        string    `json:"id"`
		InitPID   int       `json:"init_process_pid"`
		InitStart uint64    `json:"init_process_start"`
		Created   time.Time `json:"created"`
		Config    struct {
			Labels     []string `json:"labels"`
			Namespaces []struct {
				Type string `json:"type"`
				Path string `json:"path"`
			} `json:"namespaces"`
			Cgroups *struct {
				Path       string `json:"path"`
				Parent     string `json:"parent"`
				ScopePref  string `json:"scope_prefix"`
				Name       string `json:"name"`
				Systemd    bool   `json:"Systemd"`
				Memory     int64  `json:"memory"`
				MemorySwap int64  `json:"memory_swap"`
				CPUShares  int64  `json:"cpu_shares"`
				CPUQuota   int64  `json:"cpu_quota"`
				CPUPeriod  int64  `json:"cpu_period"`
				PidsLimit  int64  `json:"pids_limit"`
			} `json:"cgroups"`
		} `json:"config"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("runc state.json: %w", err)
	}
	if j.ID == "" {
		return nil, fmt.Errorf("runc state.json: no id")
	}
	r := &Record{Runtime: Runc, ID: j.ID, Name: j.ID, PID: max(j.InitPID, 0), PIDStart: j.InitStart, Created: j.Created, NamespacesKnown: true}
	for _, l := range j.Config.Labels {
		if b, ok := strings.CutPrefix(l, "bundle="); ok {
			r.Bundle = b
		}
	}
	for _, n := range j.Config.Namespaces {
		if t := runcNamespaceTypes[n.Type]; t != "" {
			r.Namespaces = append(r.Namespaces, NamespaceSpec{Type: t, Path: n.Path})
		}
	}
	if c := j.Config.Cgroups; c != nil {
		r.CgroupsPath = c.Path
		switch {
		case c.Path != "" || c.Name == "":
		case c.Systemd:
			r.CgroupsPath = c.Parent + ":" + c.ScopePref + ":" + c.Name
		default:
			// No cgroupsPath in the spec: runc made Parent/Name beneath
			// its own cgroup in each hierarchy.
			r.CgroupsPath = path.Join(c.Parent, c.Name)
		}
		set := func(v int64) *int64 {
			if v > 0 {
				return int64p(v)
			}
			return nil
		}
		r.Limits = Limits{
			MemoryMax: set(c.Memory), MemorySwap: set(c.MemorySwap), CPUShares: set(c.CPUShares),
			CPUQuotaUS: set(c.CPUQuota), CPUPeriodUS: set(c.CPUPeriod), PidsMax: set(c.PidsLimit),
		}
	}
	return r, nil
}

// ParseCrunStatus parses crun's ROOT/ID/status file (ROOT is /run/crun,
// or $XDG_RUNTIME_DIR/crun): a JSON object with the init's pid and
// process-start-time, the bundle and the cgroup path. The ID is the
// directory's name.
func ParseCrunStatus(id string, data []byte) (*Record, error) {
	var j struct {
		PID        int    `json:"pid"`
		StartTime  uint64 `json:"process-start-time"`
		CgroupPath string `json:"cgroup-path"`
		Bundle     string `json:"bundle"`
		Created    string `json:"created"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("crun status: %w", err)
	}
	if j.PID <= 0 {
		return nil, fmt.Errorf("crun status: no pid")
	}
	r := &Record{Runtime: Crun, ID: id, Name: id, PID: j.PID, PIDStart: j.StartTime,
		CgroupsPath: j.CgroupPath, Bundle: j.Bundle}
	r.Created, _ = time.Parse(time.RFC3339Nano, j.Created) // zero when crun wrote another form
	return r, nil
}
