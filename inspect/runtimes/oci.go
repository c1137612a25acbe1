package runtimes

import (
	"encoding/json"
	"fmt"
)

// OCISpec is the part of an OCI runtime spec (a bundle's config.json)
// discovery uses. See the runtime-spec's config.md and config-linux.md.
type OCISpec struct {
	Annotations map[string]string
	Hostname    string
	Args        []string
	// CgroupsPath is linux.cgroupsPath.
	CgroupsPath string
	// Namespaces is linux.namespaces.
	Namespaces []NamespaceSpec
	// Limits come from linux.resources.
	Limits Limits
}

type ociSpecJSON struct {
	Annotations map[string]string `json:"annotations"`
	Hostname    string            `json:"hostname"`
	Process     *struct {
		Args []string `json:"args"`
	} `json:"process"`
	Linux *ociLinuxJSON `json:"linux"`
}

type ociLinuxJSON struct {
	CgroupsPath string `json:"cgroupsPath"`
	Namespaces  []struct {
		Type string `json:"type"`
		Path string `json:"path"`
	} `json:"namespaces"`
	Resources *ociResourcesJSON `json:"resources"`
}

type ociResourcesJSON struct {
	CPU *struct {
		Shares *uint64 `json:"shares"`
		Quota  *int64  `json:"quota"`
		Period *uint64 `json:"period"`
	} `json:"cpu"`
	Memory *struct {
		Limit *int64 `json:"limit"`
		Swap  *int64 `json:"swap"`
	} `json:"memory"`
	Pids *struct {
		Limit int64 `json:"limit"`
	} `json:"pids"`
}

// ParseOCISpec parses an OCI runtime spec. It needs a JSON object with a
// linux section; other sections are optional.
func ParseOCISpec(data []byte) (*OCISpec, error) {
	var j ociSpecJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("OCI spec: %w", err)
	}
	if j.Linux == nil {
		return nil, fmt.Errorf("OCI spec: no linux section")
	}
	s := &OCISpec{Annotations: j.Annotations, Hostname: j.Hostname, CgroupsPath: j.Linux.CgroupsPath}
	if j.Process != nil {
		s.Args = j.Process.Args
	}
	s.Namespaces = make([]NamespaceSpec, 0, len(j.Linux.Namespaces))
	for _, n := range j.Linux.Namespaces {
		s.Namespaces = append(s.Namespaces, NamespaceSpec{Type: n.Type, Path: n.Path})
	}
	s.Limits = j.Linux.Resources.limits()
	return s, nil
}

// limits converts the spec's resources. A zero quota, period, shares or
// limit means "not set" in the spec, as runc treats it.
func (r *ociResourcesJSON) limits() Limits {
	var l Limits
	if r == nil {
		return l
	}
	if c := r.CPU; c != nil {
		if c.Quota != nil && *c.Quota != 0 {
			l.CPUQuotaUS = int64p(*c.Quota)
		}
		if c.Period != nil && *c.Period != 0 && *c.Period <= 1<<62 {
			l.CPUPeriodUS = int64p(int64(*c.Period))
		}
		if c.Shares != nil && *c.Shares != 0 && *c.Shares <= 1<<62 {
			l.CPUShares = int64p(int64(*c.Shares))
		}
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil && *m.Limit != 0 {
			l.MemoryMax = int64p(*m.Limit)
		}
		if m.Swap != nil && *m.Swap != 0 {
			l.MemorySwap = int64p(*m.Swap)
		}
	}
	if r.Pids != nil && r.Pids.Limit != 0 {
		l.PidsMax = int64p(r.Pids.Limit)
	}
	return l
}

// recordFromSpec fills the fields every OCI bundle gives.
func recordFromSpec(r *Record, s *OCISpec) {
	r.CgroupsPath = s.CgroupsPath
	r.Namespaces = s.Namespaces
	r.NamespacesKnown = true
	if r.Limits.IsZero() {
		r.Limits = s.Limits
	}
}

// ParsePIDFile parses a PID file: a positive decimal number, optionally
// followed by white space.
func ParsePIDFile(data []byte) (int, error) {
	n, i := 0, 0
	for ; i < len(data) && data[i] >= '0' && data[i] <= '9'; i++ {
		if n > (1<<31)/10 {
			return 0, fmt.Errorf("PID file: number too large")
		}
		n = n*10 + int(data[i]-'0')
	}
	for ; i < len(data); i++ {
		if c := data[i]; c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			return 0, fmt.Errorf("PID file: unexpected %q", c)
		}
	}
	if n <= 0 {
		return 0, fmt.Errorf("PID file: no PID")
	}
	return n, nil
}
