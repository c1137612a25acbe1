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
	// lists are directory listings, kept while the directory's watch
	// has no event.
	lists   map[string]*listEntry
	pass    uint64
	now     func() time.Time
	watcher *dirWatcher
	// reads counts files read (not served from the cache), stats the
	// stat calls made, for tests and benchmarks.
	reads, stats int
}

type listEntry struct {
	token watchToken
	names []string
	pass  uint64
}

type cacheEntry struct {
	ino, size uint64
	mtimeNS   int64
	racy      bool
	value     any
	err       error
	pass      uint64
	// missing records a file found absent in a directory that may be
	// trusted later (see dirUnchanged).
	missing bool
	// watched directories are compared by their watch token instead of
	// their inode and modification time.
	watched bool
	token   watchToken
}

func newFileCache() *fileCache {
	return &fileCache{entries: map[string]*cacheEntry{}, lists: map[string]*listEntry{}, now: time.Now, watcher: newDirWatcher()}
}

// begin starts a discovery pass, taking in the directory events since
// the last; end drops the entries the pass did not look at (files that
// are gone).
func (c *fileCache) begin() {
	c.pass++
	if c.watcher != nil {
		c.watcher.drain()
	}
}

func (c *fileCache) end() {
	for p, e := range c.entries {
		if e.pass != c.pass {
			delete(c.entries, p)
		}
	}
	for p, e := range c.lists {
		if e.pass != c.pass {
			delete(c.lists, p)
		}
	}
}

// watch returns dir's watch token; ok false when it is not watched.
func (c *fileCache) watch(dir string) (watchToken, bool) {
	if c.watcher == nil {
		return watchToken{}, false
	}
	return c.watcher.token(dir)
}

// list returns the names in dir, listing it again only when its watch
// saw an event (or it cannot be watched).
func (c *fileCache) list(dir string) ([]string, error) {
	tok, watched := c.watch(dir)
	if e := c.lists[dir]; watched && e != nil && e.token == tok {
		e.pass = c.pass
		return e.names, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		delete(c.lists, dir)
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	if watched {
		c.lists[dir] = &listEntry{token: tok, names: names, pass: c.pass}
	}
	return names, nil
}

// dirUnchanged reports whether the directory at path is as it was on the
// last pass: its inotify watch saw no event, or where it cannot be
// watched, it has the inode and modification time it had, long enough
// not to be racy. The runtimes replace a container's files by renaming a new
// file over the old one (docker's config.v2.json and hostconfig.json,
// runc's state.json, crun's status, a pid file), which changes the
// directory's modification time; while it has not changed, the files in
// it can be trusted without a stat of their own.
func (c *fileCache) dirUnchanged(path string) bool {
	if tok, ok := c.watch(path); ok {
		e := c.entries[path]
		if e != nil && e.watched && e.token == tok {
			e.pass = c.pass
			return true
		}
		c.entries[path] = &cacheEntry{watched: true, token: tok, pass: c.pass}
		return false
	}
	var st unix.Stat_t
	c.stats++
	if err := unix.Stat(path, &st); err != nil {
		delete(c.entries, path)
		return false
	}
	mtime := st.Mtim.Nano()
	e := c.entries[path]
	same := e != nil && !e.racy && e.ino == st.Ino && e.mtimeNS == mtime
	c.entries[path] = &cacheEntry{ino: st.Ino, mtimeNS: mtime, pass: c.pass, racy: c.now().Sub(time.Unix(0, mtime)) < racyWindow}
	return same
}

// load returns parse's result for the file at path, reading and parsing
// it only when it changed since the last pass. trusted, from
// dirUnchanged, skips the stat when the file was seen before. A missing
// file returns an error for which os.IsNotExist is true.
func (c *fileCache) load(path string, trusted bool, parse func([]byte) (any, error)) (any, error) {
	if e := c.entries[path]; trusted && e != nil && !e.racy {
		e.pass = c.pass
		if e.missing {
			return nil, &os.PathError{Op: "stat", Path: path, Err: unix.ENOENT}
		}
		return e.value, e.err
	}
	var st unix.Stat_t
	c.stats++
	if err := unix.Stat(path, &st); err != nil {
		delete(c.entries, path)
		if err == unix.ENOENT {
			c.entries[path] = &cacheEntry{missing: true, pass: c.pass}
		}
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
