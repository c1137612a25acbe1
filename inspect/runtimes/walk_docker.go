package runtimes

import "path/filepath"

// docker reads DATA-ROOT/containers/*/config.v2.json and hostconfig.json,
// and notes docker's runc root under its exec root.
func (p *pass) docker() {
	dataRoot, execRoot := "/var/lib/docker", "/run/docker"
	if v, ok := p.load(p.path("/etc/docker/daemon.json"), func(b []byte) (any, error) { return ParseDockerDaemonConfig(b) }); ok {
		c := v.(DockerDaemonConfig)
		if filepath.IsAbs(c.DataRoot) {
			dataRoot = c.DataRoot
		}
		if filepath.IsAbs(c.ExecRoot) {
			execRoot = c.ExecRoot
		}
	}
	p.runcRoots = append(p.runcRoots, runcRoot{runtime: Runc, dir: p.path(filepath.Join(execRoot, "runtime-runc", "moby"))})
	dir := p.path(filepath.Join(dataRoot, "containers"))
	ids, ok := p.list(dir)
	if !ok {
		return
	}
	src := p.source(Docker, dir)
	for _, id := range ids {
		trusted := p.dirUnchanged(filepath.Join(dir, id))
		cfgPath := filepath.Join(dir, id, "config.v2.json")
		v, ok := p.loadIn(trusted, cfgPath, func(b []byte) (any, error) { return ParseDockerConfig(b) })
		if !ok {
			continue
		}
		r := *v.(*Record) // a copy: the cached record is shared
		r.Source = p.rel(cfgPath)
		if l, ok := p.loadIn(trusted, filepath.Join(dir, id, "hostconfig.json"), func(b []byte) (any, error) { return ParseDockerHostConfig(b) }); ok {
			r.Limits = l.(Limits)
		}
		p.add(&r)
		p.sources[src].Containers++
	}
}
