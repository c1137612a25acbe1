package runtimes

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Docker (moby) keeps each container under DATA-ROOT/containers/ID/:
// config.v2.json (name, image, labels, state) and hostconfig.json (the
// limits and modes it was started with). Its runc state is under
// EXEC-ROOT/runtime-runc/moby/ID/state.json and containerd's bundle
// under containerd's state directory, namespace "moby".

// DockerDaemonConfig is the part of /etc/docker/daemon.json that moves
// docker's files.
type DockerDaemonConfig struct {
	DataRoot string
	ExecRoot string
}

// ParseDockerDaemonConfig parses daemon.json ("data-root", or the old
// "graph", and "exec-root").
func ParseDockerDaemonConfig(data []byte) (DockerDaemonConfig, error) {
	var j struct {
		DataRoot string `json:"data-root"`
		Graph    string `json:"graph"`
		ExecRoot string `json:"exec-root"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return DockerDaemonConfig{}, fmt.Errorf("docker daemon.json: %w", err)
	}
	c := DockerDaemonConfig{DataRoot: j.DataRoot, ExecRoot: j.ExecRoot}
	if c.DataRoot == "" {
		c.DataRoot = j.Graph
	}
	return c, nil
}

type dockerConfigJSON struct {
	ID      string    `json:"ID"`
	Name    string    `json:"Name"`
	Created time.Time `json:"Created"`
	Image   string    `json:"Image"`
	State   struct {
		Running           bool      `json:"Running"`
		Paused            bool      `json:"Paused"`
		Restarting        bool      `json:"Restarting"`
		RemovalInProgress bool      `json:"RemovalInProgress"`
		Dead              bool      `json:"Dead"`
		Pid               int       `json:"Pid"`
		StartedAt         time.Time `json:"StartedAt"`
	} `json:"State"`
	Config *struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

// ParseDockerConfig parses a container's config.v2.json. It needs the
// container's ID.
func ParseDockerConfig(data []byte) (*Record, error) {
	var j dockerConfigJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("docker config.v2.json: %w", err)
	}
	if j.ID == "" {
		return nil, fmt.Errorf("docker config.v2.json: no ID")
	}
	r := &Record{
		Runtime: Docker,
		ID:      j.ID,
		Name:    strings.TrimPrefix(j.Name, "/"),
		Image:   j.Image,
		Created: j.Created,
		State:   dockerState(&j),
	}
	if j.State.Running && j.State.Pid > 0 {
		r.PID = j.State.Pid
	}
	if j.Config != nil {
		if j.Config.Image != "" {
			r.Image = j.Config.Image
		}
		r.Labels = TrimLabels(j.Config.Labels)
		r.Compose = composeFrom(j.Config.Labels)
	}
	if r.Name == "" {
		r.Name = shortID(r.ID)
	}
	return r, nil
}

// dockerState returns the state as "docker ps" words it (moby's
// State.StateString).
func dockerState(j *dockerConfigJSON) string {
	s := &j.State
	switch {
	case s.Running && s.Paused:
		return "paused"
	case s.Running && s.Restarting:
		return "restarting"
	case s.Running:
		return "running"
	case s.RemovalInProgress:
		return "removing"
	case s.Dead:
		return "dead"
	case s.StartedAt.IsZero():
		return "created"
	}
	return "exited"
}

// dockerDefaultCPUPeriod is the period docker sets for --cpus (100 ms).
const dockerDefaultCPUPeriod = 100000

// ParseDockerHostConfig parses a container's hostconfig.json into the
// limits docker set: --cpus (NanoCpus, as a quota over docker's 100 ms
// period), --cpu-quota/--cpu-period, --cpu-shares, --memory,
// --memory-swap and --pids-limit.
func ParseDockerHostConfig(data []byte) (Limits, error) {
	var j struct {
		NanoCpus   int64  `json:"NanoCpus"`
		CPUQuota   int64  `json:"CpuQuota"`
		CPUPeriod  int64  `json:"CpuPeriod"`
		CPUShares  int64  `json:"CpuShares"`
		Memory     int64  `json:"Memory"`
		MemorySwap int64  `json:"MemorySwap"`
		PidsLimit  *int64 `json:"PidsLimit"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return Limits{}, fmt.Errorf("docker hostconfig.json: %w", err)
	}
	var l Limits
	switch {
	case j.NanoCpus > 0 && j.NanoCpus <= 1<<40:
		period := int64(dockerDefaultCPUPeriod)
		l.CPUQuotaUS = int64p(j.NanoCpus * period / 1e9)
		l.CPUPeriodUS = int64p(period)
	case j.CPUQuota > 0:
		l.CPUQuotaUS = int64p(j.CPUQuota)
		if j.CPUPeriod > 0 {
			l.CPUPeriodUS = int64p(j.CPUPeriod)
		}
	}
	if j.CPUShares > 0 {
		l.CPUShares = int64p(j.CPUShares)
	}
	if j.Memory > 0 {
		l.MemoryMax = int64p(j.Memory)
	}
	if j.MemorySwap != 0 {
		l.MemorySwap = int64p(j.MemorySwap)
	}
	if j.PidsLimit != nil && *j.PidsLimit > 0 {
		l.PidsMax = int64p(*j.PidsLimit)
	}
	return l, nil
}

// shortID returns the first 12 characters of id, the form "docker ps"
// shows.
func shortID(id string) string { return cut(id, 12) }
