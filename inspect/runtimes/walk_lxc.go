package runtimes

import (
	"path/filepath"
	"strings"
)

// lxc reads LXCPATH/*/config.
func (p *pass) lxc() {
	lxcpath := "/var/lib/lxc"
	if v, ok := p.load(p.path("/etc/lxc/lxc.conf"), func(b []byte) (any, error) { return ParseLXCSystemConfig(b), nil }); ok {
		if s := v.(string); filepath.IsAbs(s) {
			lxcpath = s
		}
	}
	dir := p.path(lxcpath)
	names, ok := p.list(dir)
	if !ok {
		return
	}
	src := p.source(LXC, dir)
	for _, name := range names {
		cfgPath := filepath.Join(dir, name, "config")
		v, ok := p.load(cfgPath, func(b []byte) (any, error) { return ParseLXCConfig(b) })
		if !ok {
			continue
		}
		r := RecordFromLXC(name, v.(*LXCConfig))
		r.Source = p.rel(cfgPath)
		p.add(r)
		p.sources[src].Containers++
	}
}

// machined reads /run/systemd/machines/NAME (its unit:... links skipped).
func (p *pass) machined() {
	dir := p.path("/run/systemd/machines")
	names, ok := p.list(dir)
	if !ok {
		return
	}
	src := -1
	for _, name := range names {
		if strings.Contains(name, ":") {
			continue
		}
		path := filepath.Join(dir, name)
		v, ok := p.load(path, func(b []byte) (any, error) { return ParseMachine(b) })
		if !ok {
			continue
		}
		m := v.(*Machine)
		if m.Class != "" && m.Class != "container" {
			continue // a VM: its processes are not the host's
		}
		r := RecordFromMachine(m)
		r.Source = p.rel(path)
		if src < 0 {
			src = p.source(Nspawn, dir)
		}
		p.sources[src].Containers++
		p.add(r)
	}
}
