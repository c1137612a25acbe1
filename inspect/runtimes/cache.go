package runtimes

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// maxStateFile caps how much of one runtime file is read. runc's
// state.json is ~30 KiB, a libpod database a few MiB at most.
const maxStateFile = 64 << 20

// racyWindow: a file modified this close to when it was read may change
// again within the same timestamp tick, unseen by its mtime, so it is
// read again on the next pass (git's "racily clean" rule).
const racyWindow = 2 * time.Second

// fileCache keeps what was parsed from each file by path, valid while
// the file's inode, size and modification time stay the same. A
// container's files change rarely, so a refresh costs one stat per file.
type fileCache struct {
	entries map[string]*cacheEntry
	pass    uint64
	now     func() time.Time
	// reads counts files read (not served from the cache), for tests
	// and benchmarks.
	reads int
}

type cacheEntry struct {
	ino, size uint64
	mtimeNS   int64
	racy      bool
	value     any
	err       error
	pass      uint64
}

func newFileCache() *fileCache {
	return &fileCache{entries: map[string]*cacheEntry{}, now: time.Now}
}

// begin starts a discovery pass; end drops the entries the pass did not
// look at (files that are gone).
func (c *fileCache) begin() { c.pass++ }

func (c *fileCache) end() {
	for p, e := range c.entries {
		if e.pass != c.pass {
			delete(c.entries, p)
		}
	}
}

// load returns parse's result for the file at path, reading and parsing
// it only when it changed since the last pass. A missing file returns an
// error for which os.IsNotExist is true; it is not cached.
func (c *fileCache) load(path string, parse func([]byte) (any, error)) (any, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		delete(c.entries, path)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, &os.PathError{Op: "read", Path: path, Err: unix.EISDIR}
	}
	mtime := st.Mtim.Nano()
	e := c.entries[path]
	if e != nil && !e.racy && e.ino == st.Ino && e.size == uint64(st.Size) && e.mtimeNS == mtime {
		e.pass = c.pass
		return e.value, e.err
	}
	c.reads++
	e = &cacheEntry{ino: st.Ino, size: uint64(st.Size), mtimeNS: mtime, pass: c.pass}
	e.racy = c.now().Sub(time.Unix(0, mtime)) < racyWindow
	data, err := readCapped(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		e.err = err
	} else if e.value, err = parse(data); err != nil {
		e.err = &FormatError{Path: path, Err: err}
		e.value = nil
	}
	c.entries[path] = e
	return e.value, e.err
}

// readCapped reads a whole file, at most maxStateFile bytes.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStateFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxStateFile)
	}
	return data, nil
}

// FormatError is a runtime file nscope read but could not understand:
// damaged, truncated, or a format newer than it knows.
type FormatError struct {
	Path string
	Err  error
}

func (e *FormatError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FormatError) Unwrap() error { return e.Err }
