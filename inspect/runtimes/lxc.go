package runtimes

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// LXC keeps each container's config in LXCPATH/NAME/config (LXCPATH is
// /var/lib/lxc unless lxc.lxcpath in /etc/lxc/lxc.conf says otherwise).
// It records no PID on disk: a running container is found by its cgroup,
// /lxc.payload.NAME (LXC 4 and later) or /lxc/NAME, or the one its config
// names with lxc.cgroup.dir. See lxc.container.conf(5).

// LXCConfig is what an LXC container's config says.
type LXCConfig struct {
	UTSName string
	Rootfs  string
	// Template is the template the container was made from ("busybox",
	// "download"), from the comment lxc-create writes.
	Template string
	// CgroupDir is lxc.cgroup.dir.container, or lxc.cgroup.dir.
	CgroupDir string
	Limits    Limits
}

// ParseLXCConfig parses an LXC container config: "key = value" lines,
// "#" comments. Unknown keys are ignored; a line without "=" is an error,
// as lxc-start treats it.
func ParseLXCConfig(data []byte) (*LXCConfig, error) {
	c := &LXCConfig{}
	dirContainer, dir := "", ""
	for n := 1; len(data) > 0; n++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] == '#' {
			if t, ok := bytes.CutPrefix(line, []byte("# Template used to create this container:")); ok {
				c.Template = strings.TrimPrefix(path.Base(string(bytes.TrimSpace(t))), "lxc-")
			}
			continue
		}
		k, v, ok := bytes.Cut(line, []byte("="))
		if !ok {
			return nil, fmt.Errorf("LXC config line %d: no '='", n)
		}
		key := string(bytes.TrimSpace(k))
		val := strings.Trim(string(bytes.TrimSpace(v)), `"`)
		switch key {
		case "lxc.uts.name", "lxc.utsname":
			c.UTSName = val
		case "lxc.rootfs.path", "lxc.rootfs":
			c.Rootfs = val
		case "lxc.cgroup.dir.container":
			dirContainer = val
		case "lxc.cgroup.dir":
			dir = val
		case "lxc.cgroup.memory.limit_in_bytes", "lxc.cgroup2.memory.max":
			c.Limits.MemoryMax = parseSize(val)
		case "lxc.cgroup.memory.memsw.limit_in_bytes":
			c.Limits.MemorySwap = parseSize(val)
		case "lxc.cgroup.cpu.cfs_quota_us":
			c.Limits.CPUQuotaUS = parsePositive(val)
		case "lxc.cgroup.cpu.cfs_period_us":
			c.Limits.CPUPeriodUS = parsePositive(val)
		case "lxc.cgroup.cpu.shares":
			c.Limits.CPUShares = parsePositive(val)
		case "lxc.cgroup2.cpu.max":
			q, p, _ := strings.Cut(val, " ")
			c.Limits.CPUQuotaUS = parsePositive(q)
			if p != "" {
				c.Limits.CPUPeriodUS = parsePositive(strings.TrimSpace(p))
			}
		case "lxc.cgroup.pids.max", "lxc.cgroup2.pids.max":
			c.Limits.PidsMax = parsePositive(val)
		}
	}
	c.CgroupDir = dirContainer
	if c.CgroupDir == "" {
		c.CgroupDir = dir
	}
	return c, nil
}

// ParseLXCSystemConfig returns lxc.lxcpath from /etc/lxc/lxc.conf, or "".
func ParseLXCSystemConfig(data []byte) string {
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte("="))
		if ok && string(bytes.TrimSpace(k)) == "lxc.lxcpath" {
			return strings.Trim(string(bytes.TrimSpace(v)), `"`)
		}
	}
	return ""
}

// RecordFromLXC names the LXC container name from its config.
func RecordFromLXC(name string, c *LXCConfig) *Record {
	return &Record{Runtime: LXC, ID: name, Name: name, Image: c.Template, Limits: c.Limits, CgroupsPath: c.CgroupDir}
}

// parsePositive parses a positive decimal; nil for "max", -1 or junk.
func parsePositive(s string) *int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return nil
	}
	return &v
}

// parseSize parses a byte count with an optional K, M, G or T suffix
// (what cgroup memory files accept); nil for "max", -1 or junk.
func parseSize(s string) *int64 {
	mult := int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:n-1]
		}
	}
	v := parsePositive(s)
	if v == nil || *v > (1<<62)/mult {
		return nil
	}
	*v *= mult
	return v
}
