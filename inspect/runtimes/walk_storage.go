package runtimes

import (
	"os"
	"path/filepath"
	"strings"
)

// storage reads the system's containers/storage: podman's libpod
// database and CRI-O's and podman's specs.
func (p *pass) storage() {
	graph, run := "/var/lib/containers/storage", "/run/containers/storage"
	for _, conf := range []string{"/etc/containers/storage.conf", "/usr/share/containers/storage.conf"} {
		v, ok := p.load(p.path(conf), func(b []byte) (any, error) { return ParseStorageConfig(b), nil })
		if !ok {
			continue
		}
		c := v.(StorageConfig)
		if filepath.IsAbs(c.GraphRoot) {
			graph = c.GraphRoot
		}
		if filepath.IsAbs(c.RunRoot) {
			run = c.RunRoot
		}
		break
	}
	p.storageAt(p.path(graph), p.path(run), 0)
}

// storageAt reads one containers/storage pair of roots, the system's or
// a rootless user's.
func (p *pass) storageAt(graph, run string, uid int) {
	podmanSrc, crioSrc := -1, -1
	count := func(src *int, runtime, dir string) {
		if *src < 0 {
			*src = p.source(runtime, dir)
		}
		p.sources[*src].Containers++
	}
	dbPath := filepath.Join(graph, "libpod", "bolt_state.db")
	if v, ok := p.load(dbPath, func(b []byte) (any, error) { return parseLibpod(b) }); ok {
		db := v.(libpodResult)
		if db.skipped > 0 {
			p.fail(dbPath, &FormatError{Path: p.rel(dbPath), Err: errSkippedEntries(db.skipped)})
		}
		for _, rec := range db.records {
			r := *rec
			r.Source, r.UID = p.rel(dbPath), uid
			p.add(&r)
			count(&podmanSrc, Podman, filepath.Join(graph, "libpod"))
		}
	} else if _, err := os.Stat(filepath.Join(graph, "libpod")); err == nil {
		podmanSrc = p.source(Podman, filepath.Join(graph, "libpod"))
	}
	drivers, _ := p.list(graph)
	for _, driver := range drivers {
		if !strings.HasSuffix(driver, "-containers") {
			continue
		}
		listPath := filepath.Join(graph, driver, "containers.json")
		v, ok := p.load(listPath, func(b []byte) (any, error) { return ParseStorageContainers(b) })
		if !ok {
			continue
		}
		for _, sc := range v.([]StorageContainer) {
			if old := p.lookup(sc.ID); old != nil {
				continue // named by libpod's database
			}
			specPath := filepath.Join(graph, driver, sc.ID, "userdata", "config.json")
			s, ok := p.loadIn(p.dirUnchanged(filepath.Dir(specPath)), specPath, parseSpec)
			if !ok {
				continue // not created yet, or a buildah working container
			}
			spec := s.(*OCISpec)
			var r *Record
			if IsCRIOSpec(spec) {
				r = RecordFromCRIOSpec(sc.ID, spec)
				count(&crioSrc, CRIO, filepath.Join(graph, driver))
			} else {
				r = RecordFromPodmanSpec(sc, spec)
				count(&podmanSrc, Podman, filepath.Join(graph, driver))
			}
			r.Source, r.UID = p.rel(specPath), uid
			runDir := filepath.Join(run, driver, sc.ID, "userdata")
			if pid, ok := p.loadIn(p.dirUnchanged(runDir), filepath.Join(runDir, "pidfile"), parsePID); ok {
				r.PID = pid.(int)
			}
			p.add(r)
		}
	}
}

// libpodResult is a parsed libpod database, as the cache keeps it.
type libpodResult struct {
	records []*Record
	skipped int
}

func parseLibpod(b []byte) (libpodResult, error) {
	recs, skipped, err := ParseLibpodDB(b)
	return libpodResult{recs, skipped}, err
}

// errSkippedEntries says how many database entries could not be decoded.
type errSkippedEntries int

func (n errSkippedEntries) Error() string {
	if n == 1 {
		return "1 container entry not understood"
	}
	return itoa(int(n)) + " container entries not understood"
}
