package record

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Reindex rewrites the index of every segment in dir from the segment
// itself. An index is only a cache: Open reads what an index lacks from
// the segment, so this is never needed for correct reads, only to make
// opening fast again after an index was lost. Do not run it on the segment
// a recorder is writing.
func Reindex(dir string) error {
	files, err := listSegments(dir)
	if err != nil {
		return err
	}
	for _, sf := range files {
		if err := reindexSegment(dir, sf.name); err != nil {
			return err
		}
	}
	return nil
}

// reindexSegment writes one segment's index to a temporary file and
// renames it into place.
func reindexSegment(dir, name string) error {
	path := filepath.Join(dir, name+segmentExt)
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	var fh [fileHeaderSize]byte
	if _, err := f.ReadAt(fh[:], 0); err != nil {
		return fmt.Errorf("reindex %s: %w", path, readErr(err))
	}
	if err := parseFileHeader(fh[:]); err != nil {
		return fmt.Errorf("reindex %s: %w", path, err)
	}
	// A torn or damaged tail ends the index as it ends the reading.
	ents, _ := scanRecords(f, fi.Size(), fileHeaderSize, 0)
	b := appendIndexHeader(nil)
	for _, e := range ents {
		h := header{Time: e.Time.UnixNano(), Kind: e.Kind, Marks: e.Marks, ThrottlePct: e.Throttle, PayloadLen: uint32(e.size - headerSize)}
		b = appendIndexEntry(b, h, e.offset)
	}
	tmp := filepath.Join(dir, "."+name+indexExt+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reindex: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name+indexExt)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("reindex: %w", err)
	}
	return nil
}
