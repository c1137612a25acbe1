package runtimes

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"time"
)

// Podman (libpod) keeps containers in containers/storage (GRAPHROOT and
// RUNROOT from storage.conf; for a rootless user under
// ~/.local/share/containers/storage and $XDG_RUNTIME_DIR/containers) and
// its own view of them (names, pods, state, PID) in a bbolt database,
// GRAPHROOT/libpod/bolt_state.db. Newer podman may keep that database in
// SQLite instead (db.sql), which this package does not read: then the
// names come from storage's containers.json and the pod from the spec's
// annotations, without the pod's name.

// StorageConfig is the part of storage.conf that says where
// containers/storage keeps its files.
type StorageConfig struct {
	GraphRoot string
	RunRoot   string
}

// ParseStorageConfig reads graphroot and runroot from the [storage] table
// of storage.conf.
func ParseStorageConfig(data []byte) StorageConfig {
	var c StorageConfig
	c.GraphRoot, _ = tomlString(data, "storage", "graphroot")
	c.RunRoot, _ = tomlString(data, "storage", "runroot")
	return c
}

// StorageContainer is one entry of containers/storage's containers.json.
type StorageContainer struct {
	ID      string
	Names   []string
	Image   string
	Created time.Time
}

// ParseStorageContainers parses GRAPHROOT/overlay-containers/containers.json.
func ParseStorageContainers(data []byte) ([]StorageContainer, error) {
	var j []struct {
		ID       string    `json:"id"`
		Names    []string  `json:"names"`
		Image    string    `json:"image"`
		Metadata string    `json:"metadata"`
		Created  time.Time `json:"created"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("containers.json: %w", err)
	}
	out := make([]StorageContainer, 0, len(j))
	for _, c := range j {
		if c.ID == "" {
			continue
		}
		sc := StorageContainer{ID: c.ID, Names: c.Names, Image: c.Image, Created: c.Created}
		var meta struct {
			ImageName string `json:"image-name"`
		}
		if c.Metadata != "" && json.Unmarshal([]byte(c.Metadata), &meta) == nil && meta.ImageName != "" {
			sc.Image = meta.ImageName
		}
		out = append(out, sc)
	}
	return out, nil
}

// libpodContainerConfig is the part of a libpod container's "config".
type libpodContainerConfig struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Pod          string            `json:"pod"`
	Image        string            `json:"rootfsImageName"`
	RawImage     string            `json:"RawImageName"`
	Labels       map[string]string `json:"labels"`
	IsInfra      bool              `json:"pause"`
	Created      time.Time         `json:"createdTime"`
	CgroupParent string            `json:"cgroupParent"`
	CgroupMgr    string            `json:"cgroupManager"`
	Spec         json.RawMessage   `json:"spec"`
}

// libpodContainerState is the part of a libpod container's "state".
type libpodContainerState struct {
	State int `json:"state"`
	PID   int `json:"pid"`
}

// libpodPodConfig is the part of a libpod pod's "config".
type libpodPodConfig struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// libpodStates are libpod's container states by number
// (define.ContainerStatus).
var libpodStates = []string{"unknown", "configured", "created", "running", "stopped", "paused", "exited", "removing", "stopping"}

// ParseLibpodDB reads every container in a libpod bolt_state.db, with the
// name of its pod. A container whose entry cannot be decoded is left out
// and counted in skipped.
func ParseLibpodDB(data []byte) (recs []*Record, skipped int, err error) {
	db, err := openBolt(data)
	if err != nil {
		return nil, 0, fmt.Errorf("libpod database: %w", err)
	}
	root := db.rootBucket()
	pods := map[string]string{} // pod ID -> name
	podBkt, err := root.bucket("pod")
	if err != nil {
		return nil, 0, fmt.Errorf("libpod database: %w", err)
	}
	if podBkt != nil {
		err = podBkt.forEach(func(id, _ []byte, b *boltBucket) error {
			if b == nil {
				return nil
			}
			cfg, err := b.get("config")
			if err != nil {
				return err
			}
			var pc libpodPodConfig
			if json.Unmarshal(cfg, &pc) == nil {
				pods[string(id)] = pc.Name
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("libpod database: %w", err)
		}
	}
	ctrBkt, err := root.bucket("ctr")
	if err != nil {
		return nil, 0, fmt.Errorf("libpod database: %w", err)
	}
	if ctrBkt == nil {
		if podBkt == nil {
			return nil, 0, fmt.Errorf("libpod database: %w: no ctr or pod bucket", ErrBoltFormat)
		}
		return nil, 0, nil
	}
	err = ctrBkt.forEach(func(id, _ []byte, b *boltBucket) error {
		if b == nil {
			return nil
		}
		r, err := libpodRecord(b, pods)
		if err != nil {
			if errors.Is(err, ErrBoltFormat) {
				return err
			}
			skipped++
			return nil
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("libpod database: %w", err)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID < recs[j].ID })
	return recs, skipped, nil
}

// libpodRecord decodes one container bucket.
func libpodRecord(b *boltBucket, pods map[string]string) (*Record, error) {
	cfgData, err := b.get("config")
	if err != nil {
		return nil, err
	}
	var cfg libpodContainerConfig
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return nil, fmt.Errorf("container config: %w", err)
	}
	if cfg.ID == "" {
		return nil, fmt.Errorf("container config without an ID")
	}
	r := &Record{
		Runtime: Podman,
		ID:      cfg.ID,
		Name:    cfg.Name,
		Image:   cfg.Image,
		Created: cfg.Created,
		Labels:  TrimLabels(cfg.Labels),
		Compose: composeFrom(cfg.Labels),
		Infra:   cfg.IsInfra,
	}
	if r.Image == "" {
		r.Image = cfg.RawImage
	}
	if cfg.Pod != "" {
		r.Pod = &Pod{Name: pods[cfg.Pod], ID: cfg.Pod}
	}
	if len(cfg.Spec) > 0 {
		if spec, err := ParseOCISpec(cfg.Spec); err == nil {
			recordFromSpec(r, spec)
		}
	}
	if r.CgroupsPath == "" && cfg.CgroupParent != "" {
		// The stored spec predates the cgroup podman gives it at start.
		if cfg.CgroupMgr == "systemd" {
			r.CgroupsPath = cfg.CgroupParent + ":libpod:" + cfg.ID
		} else {
			r.CgroupsPath = path.Join(cfg.CgroupParent, "libpod-"+cfg.ID)
		}
	}
	if stData, err := b.get("state"); err == nil && stData != nil {
		var st libpodContainerState
		if json.Unmarshal(stData, &st) == nil {
			if st.State >= 0 && st.State < len(libpodStates) {
				r.State = libpodStates[st.State]
			}
			if st.PID > 0 && (r.State == "running" || r.State == "paused") {
				r.PID = st.PID
			}
		}
	}
	return r, nil
}

// RecordFromPodmanSpec names a podman container from storage's entry and
// its spec, when the libpod database cannot be read. The pod's ID is in
// the cgroup podman asked for; its name is only in the database. A pod's
// members carry the infra container's ID as io.kubernetes.cri-o.SandboxID,
// the infra container does not.
func RecordFromPodmanSpec(sc StorageContainer, spec *OCISpec) *Record {
	r := &Record{Runtime: Podman, ID: sc.ID, Image: sc.Image, Created: sc.Created}
	if len(sc.Names) > 0 {
		r.Name = sc.Names[0]
	} else {
		r.Name = shortID(sc.ID)
	}
	if spec != nil {
		if pod := PodmanPodFromCgroup(spec.CgroupsPath); pod != "" {
			r.Pod = &Pod{ID: pod}
			r.Infra = spec.Annotations[crioSandboxID] == ""
		}
		recordFromSpec(r, spec)
	}
	return r
}
