package runtimes

import "path/filepath"

// containerdTaskDirs are the shims' bundle directories under containerd's
// state directory: runtime v2 and the old v1 (linux) shim.
var containerdTaskDirs = []string{"io.containerd.runtime.v2.task", "io.containerd.runtime.v1.linux"}

// containerd reads every task bundle, by containerd namespace, and notes
// containerd's runc roots (STATE/runc/NAMESPACE).
func (p *pass) containerd() {
	state := "/run/containerd"
	if v, ok := p.load(p.path("/etc/containerd/config.toml"), func(b []byte) (any, error) { return ParseContainerdConfig(b), nil }); ok {
		if c := v.(ContainerdConfig); filepath.IsAbs(c.State) {
			state = c.State
		}
	}
	stateDir := p.path(state)
	if nss, ok := p.list(filepath.Join(stateDir, "runc")); ok {
		for _, ns := range nss {
			p.runcRoots = append(p.runcRoots, runcRoot{runtime: Runc, dir: filepath.Join(stateDir, "runc", ns)})
		}
	}
	for _, tasks := range containerdTaskDirs {
		dir := filepath.Join(stateDir, tasks)
		nss, ok := p.list(dir)
		if !ok {
			continue
		}
		src := p.source(Containerd, dir)
		for _, ns := range nss {
			ids, _ := p.list(filepath.Join(dir, ns))
			for _, id := range ids {
				if old := p.lookup(id); old != nil && old.Runtime == Docker {
					// docker's own files named it; its bundle adds nothing
					// the kernel does not tell (and costs a read of 10 KiB).
					continue
				}
				if p.containerdTask(filepath.Join(dir, ns, id), ns, id) && ns != containerdMobyNamespace {
					p.sources[src].Containers++
				}
			}
		}
	}
}

// containerdTask reads one bundle; false when it has no readable spec.
func (p *pass) containerdTask(bundle, ns, id string) bool {
	trusted := p.dirUnchanged(bundle)
	specPath := filepath.Join(bundle, "config.json")
	v, ok := p.loadIn(trusted, specPath, parseSpec)
	if !ok {
		return false
	}
	r := RecordFromContainerdBundle(ns, id, v.(*OCISpec))
	r.Bundle = bundle
	r.Source = p.rel(specPath)
	if pid, ok := p.loadIn(trusted, filepath.Join(bundle, "init.pid"), parsePID); ok {
		r.PID = pid.(int)
	}
	p.add(r)
	return true
}

// parseSpec and parsePID adapt the parsers to the cache.
func parseSpec(b []byte) (any, error) { return ParseOCISpec(b) }
func parsePID(b []byte) (any, error)  { return ParsePIDFile(b) }
