package runtimes

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
)

// Discoverer finds the containers of every runtime from their files
// under a root directory. It caches what it parsed, so a Discover after
// the first costs a directory listing per state directory and a stat per
// file. It is safe for concurrent use; calls run one at a time.
type Discoverer struct {
	root  string
	mu    sync.Mutex
	cache *fileCache
}

// NewDiscoverer returns a Discoverer that reads the runtimes' files under
// root ("/" for the host; a fixture tree's directory in tests). Where a
// runtime's configuration moves its files (docker's daemon.json
// data-root, storage.conf's graphroot and runroot, containerd's state,
// lxc.lxcpath), the configuration under root is followed.
func NewDiscoverer(root string) *Discoverer {
	if root == "" {
		root = "/"
	}
	return &Discoverer{root: filepath.Clean(root), cache: newFileCache()}
}

// Close releases the inotify instance that watches the state
// directories. A Discover after Close still works, checking every
// directory with stat.
func (d *Discoverer) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cache.watcher != nil {
		d.cache.watcher.close()
	}
}

// Result is one discovery pass.
type Result struct {
	// Records are the containers found, ordered by runtime, name and ID.
	Records []Record
	// Sources are the runtimes whose state directories exist, in the
	// order they were looked at.
	Sources []Source
	// Errors are the files that could not be read or understood.
	Errors []FileError
	// Reads is how many files this pass read (the rest came from the
	// cache); Stats how many it had to stat.
	Reads, Stats int
}

// Source is one runtime state directory that exists.
type Source struct {
	Runtime string
	// Path is the directory, as seen from the root given to the
	// Discoverer (without the root prefix).
	Path string
	// Containers is how many containers it named.
	Containers int
}

// FileError is a runtime file that could not be read (Err is the
// system's error) or understood (Err is a *FormatError).
type FileError struct {
	Path string
	Err  error
}

// pass holds one Discover call's state.
type pass struct {
	d       *Discoverer
	byKey   map[string]*Record
	order   []*Record
	sources []Source
	errs    []FileError
	// runcRoots are the runc and crun state roots found on the way
	// (docker's and containerd's, rootless users').
	runcRoots []runcRoot
	// users are the rootless users with a runtime directory.
	users []int
}

// Discover reads every runtime's state.
func (d *Discoverer) Discover() Result {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cache.begin()
	reads, stats := d.cache.reads, d.cache.stats
	p := &pass{d: d, byKey: map[string]*Record{}}
	p.docker()
	p.containerd()
	p.storage()
	p.rootless()
	p.runcStates()
	p.lxc()
	p.machined()
	d.cache.end()
	res := Result{Sources: p.sources, Errors: p.errs, Reads: d.cache.reads - reads, Stats: d.cache.stats - stats}
	res.Records = make([]Record, 0, len(p.order))
	for _, r := range p.order {
		res.Records = append(res.Records, *r)
	}
	sort.Slice(res.Records, func(i, j int) bool {
		a, b := &res.Records[i], &res.Records[j]
		if a.Runtime != b.Runtime {
			return a.Runtime < b.Runtime
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return res
}

// path returns p under the root.
func (p *pass) path(rel string) string { return filepath.Join(p.d.root, rel) }

// load reads and parses a file through the cache. A missing file gives
// ok false and no error recorded; any other failure is recorded.
func (p *pass) load(path string, parse func([]byte) (any, error)) (any, bool) {
	return p.loadIn(false, path, parse)
}

// loadIn is load for a file in a directory dirUnchanged vouched for
// (trusted true): no stat unless the file is new to the cache.
func (p *pass) loadIn(trusted bool, path string, parse func([]byte) (any, error)) (any, bool) {
	v, err := p.d.cache.load(path, trusted, parse)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			p.fail(path, err)
		}
		return nil, false
	}
	return v, true
}

// fail records an unreadable file or directory.
func (p *pass) fail(path string, err error) {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	p.errs = append(p.errs, FileError{Path: p.rel(path), Err: err})
}

// dirUnchanged reports whether a container's state directory is as it
// was on the last pass (see fileCache.dirUnchanged).
func (p *pass) dirUnchanged(dir string) bool { return p.d.cache.dirUnchanged(dir) }

// rel returns path without the root prefix.
func (p *pass) rel(path string) string {
	if p.d.root == "/" {
		return path
	}
	if r, err := filepath.Rel(p.d.root, path); err == nil {
		return "/" + r
	}
	return path
}

// list returns the names of the entries of dir. A missing directory is
// an empty list, not an error; ok says it exists.
func (p *pass) list(dir string) (names []string, ok bool) {
	names, err := p.d.cache.list(dir)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			p.fail(dir, err)
			return nil, true
		}
		return nil, false
	}
	return names, true
}

// source notes a state directory that exists and returns its index in
// p.sources, for counting its containers.
func (p *pass) source(runtime, dir string) int {
	p.sources = append(p.sources, Source{Runtime: runtime, Path: p.rel(dir)})
	return len(p.sources) - 1
}

// key is how records of the same container from different files meet:
// the OCI runtimes share container IDs (docker, containerd and runc files
// for one docker container; podman's or CRI-O's and runc's), LXC and
// machines have names of their own.
func key(runtime, id string) string {
	switch runtime {
	case LXC, Nspawn, Nscope:
		return runtime + ":" + id
	}
	return "oci:" + id
}

// add adds a record; one with the same ID already there is filled in
// instead (the first source of a container is the one that names it).
func (p *pass) add(r *Record) *Record {
	k := key(r.Runtime, r.ID)
	if old := p.byKey[k]; old != nil {
		fill(old, r)
		return old
	}
	p.byKey[k] = r
	p.order = append(p.order, r)
	return r
}

// lookup returns the OCI runtimes' record with the ID, or nil.
func (p *pass) lookup(id string) *Record { return p.byKey[key(Runc, id)] }

// fill sets dst's unset fields from src.
func fill(dst, src *Record) {
	if dst.PID == 0 {
		dst.PID, dst.PIDStart = src.PID, src.PIDStart
	} else if dst.PIDStart == 0 && src.PID == dst.PID {
		dst.PIDStart = src.PIDStart
	}
	if dst.CgroupsPath == "" {
		dst.CgroupsPath = src.CgroupsPath
	}
	if !dst.NamespacesKnown && src.NamespacesKnown {
		dst.Namespaces, dst.NamespacesKnown = src.Namespaces, true
	}
	if dst.Limits.IsZero() {
		dst.Limits = src.Limits
	}
	if dst.Bundle == "" {
		dst.Bundle = src.Bundle
	}
	if dst.Image == "" {
		dst.Image = src.Image
	}
	if dst.Pod == nil {
		dst.Pod = src.Pod
	}
	if dst.State == "" {
		dst.State = src.State
	}
	if dst.Created.IsZero() {
		dst.Created = src.Created
	}
	if dst.RuntimeNamespace == "" {
		dst.RuntimeNamespace = src.RuntimeNamespace
	}
}
