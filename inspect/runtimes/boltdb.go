package runtimes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
)

// A read-only reader of bbolt database files, enough to walk the buckets
// podman's libpod keeps its containers and pods in
// (/var/lib/containers/storage/libpod/bolt_state.db). It works on the
// file's bytes, so it takes no lock and never blocks a running podman;
// a copy read while podman commits can be torn, which shows as a bad
// checksum or page and is reported like any unreadable file.
//
// The format (go.etcd.io/bbolt, page.go and node.go): pages of the size
// in the meta page; pages 0 and 1 are meta pages, the valid one with the
// higher transaction ID is current. Each page starts with a 16-byte
// header (id u64, flags u16, count u16, overflow u32); branch pages hold
// count elements {pos u32, ksize u32, pgid u64}, leaf pages
// {flags u32, pos u32, ksize u32, vsize u32}, pos counted from the
// element itself. A leaf value with flag 1 is a nested bucket: a header
// {root pgid u64, sequence u64}, followed by an inline leaf page when
// root is 0.

const (
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	boltPageHeader  = 16
	boltElemSize    = 16
	boltBranchPage  = 0x01
	boltLeafPage    = 0x02
	boltMetaFlag    = 0x04
	boltBucketValue = 0x01
	// boltMaxDepth bounds the B+tree descent: a damaged file whose
	// branches point back up must not loop.
	boltMaxDepth = 64
)

// ErrBoltFormat is returned for bytes that are not a bbolt file this
// reader understands, or a damaged one.
var ErrBoltFormat = errors.New("not a readable bbolt database")

// boltDB is a parsed view of a bbolt file's bytes.
type boltDB struct {
	data     []byte
	pageSize int
	root     uint64
	// visits bounds the pages all walks together may visit: a
	// user's database (rootless podman) is hostile input, and many
	// buckets pointing at the same pages must not make a scan spin.
	visits int
}

// boltBucket is a bucket: either a root page in the file or an inline
// page inside its parent's value.
type boltBucket struct {
	db     *boltDB
	root   uint64
	inline []byte
}

// openBolt checks the meta pages and returns the database.
func openBolt(data []byte) (*boltDB, error) {
	if len(data) < boltPageHeader+64 {
		return nil, fmt.Errorf("%w: %d bytes", ErrBoltFormat, len(data))
	}
	// Page 0's meta says the page size; page 1 is at that offset.
	first, err1 := boltMeta(data, 0)
	pageSize := 0
	if err1 == nil {
		pageSize = first.pageSize
	} else {
		pageSize = 4096
	}
	second, err2 := boltMeta(data, pageSize)
	var m *boltMetaData
	switch {
	case err1 == nil && err2 == nil:
		m = first
		if second.txid > first.txid {
			m = second
		}
	case err1 == nil:
		m = first
	case err2 == nil:
		m = second
	default:
		return nil, err1
	}
	return &boltDB{data: data, pageSize: m.pageSize, root: m.root, visits: 16*(len(data)/m.pageSize) + 4096}, nil
}

type boltMetaData struct {
	pageSize int
	root     uint64
	txid     uint64
}

// boltMeta reads and checks the meta page at off.
func boltMeta(data []byte, off int) (*boltMetaData, error) {
	const metaSize = 64
	if off < 0 || off+boltPageHeader+metaSize > len(data) {
		return nil, fmt.Errorf("%w: no meta page at %d", ErrBoltFormat, off)
	}
	p := data[off:]
	if binary.LittleEndian.Uint16(p[8:])&boltMetaFlag == 0 {
		return nil, fmt.Errorf("%w: page at %d is not a meta page", ErrBoltFormat, off)
	}
	m := p[boltPageHeader : boltPageHeader+metaSize]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != boltVersion {
		return nil, fmt.Errorf("%w: bad magic or version", ErrBoltFormat)
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return nil, fmt.Errorf("%w: meta page at %d has a bad checksum", ErrBoltFormat, off)
	}
	ps := int(le.Uint32(m[8:]))
	if ps < 512 || ps > 1<<20 {
		return nil, fmt.Errorf("%w: page size %d", ErrBoltFormat, ps)
	}
	return &boltMetaData{pageSize: ps, root: le.Uint64(m[16:]), txid: le.Uint64(m[48:])}, nil
}

// rootBucket returns the top-level bucket, whose keys are the database's
// bucket names.
func (db *boltDB) rootBucket() *boltBucket { return &boltBucket{db: db, root: db.root} }

// page returns the bytes of page id, overflow pages included.
func (db *boltDB) page(id uint64) ([]byte, error) {
	if id < 2 || id >= uint64(len(db.data)/db.pageSize) {
		return nil, fmt.Errorf("%w: page %d out of range", ErrBoltFormat, id)
	}
	off := int(id) * db.pageSize
	if off+boltPageHeader > len(db.data) {
		return nil, fmt.Errorf("%w: page %d beyond the end", ErrBoltFormat, id)
	}
	overflow := uint64(binary.LittleEndian.Uint32(db.data[off+12:]))
	end := uint64(off) + (overflow+1)*uint64(db.pageSize)
	if end > uint64(len(db.data)) {
		return nil, fmt.Errorf("%w: page %d runs past the end", ErrBoltFormat, id)
	}
	return db.data[off:end], nil
}

// forEach calls fn for every key of the bucket in order. value is nil
// for a nested bucket, whose bucket is then non-nil.
func (b *boltBucket) forEach(fn func(key, value []byte, bucket *boltBucket) error) error {
	// A valid tree visits each page once; a damaged one whose branches
	// point back at themselves must not visit more than the file has.
	budget := len(b.db.data)/b.db.pageSize + 1
	if b.inline != nil {
		return b.walk(b.inline, 0, &budget, fn)
	}
	p, err := b.db.page(b.root)
	if err != nil {
		return err
	}
	return b.walk(p, 0, &budget, fn)
}

// walk visits one page: a leaf's elements, or a branch's children.
func (b *boltBucket) walk(p []byte, depth int, budget *int, fn func(key, value []byte, bucket *boltBucket) error) error {
	if depth > boltMaxDepth {
		return fmt.Errorf("%w: tree deeper than %d", ErrBoltFormat, boltMaxDepth)
	}
	*budget--
	b.db.visits--
	if *budget < 0 || b.db.visits < 0 {
		return fmt.Errorf("%w: pages visited more than once", ErrBoltFormat)
	}
	if len(p) < boltPageHeader {
		return fmt.Errorf("%w: short page", ErrBoltFormat)
	}
	le := binary.LittleEndian
	flags := le.Uint16(p[8:])
	count := int(le.Uint16(p[10:]))
	if boltPageHeader+count*boltElemSize > len(p) {
		return fmt.Errorf("%w: %d elements do not fit the page", ErrBoltFormat, count)
	}
	for i := range count {
		eo := boltPageHeader + i*boltElemSize
		e := p[eo : eo+boltElemSize]
		switch {
		case flags&boltBranchPage != 0:
			child, err := b.db.page(le.Uint64(e[8:]))
			if err != nil {
				return err
			}
			if err := b.walk(child, depth+1, budget, fn); err != nil {
				return err
			}
		case flags&boltLeafPage != 0:
			pos, ks, vs := uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
			start := uint64(eo) + pos
			if start+ks+vs > uint64(len(p)) {
				return fmt.Errorf("%w: leaf element %d runs past its page", ErrBoltFormat, i)
			}
			key := p[start : start+ks]
			val := p[start+ks : start+ks+vs]
			if le.Uint32(e[0:])&boltBucketValue == 0 {
				if err := fn(key, val, nil); err != nil {
					return err
				}
				continue
			}
			nested, err := b.nested(val)
			if err != nil {
				return err
			}
			if err := fn(key, nil, nested); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: page flags %#x in a bucket", ErrBoltFormat, flags)
		}
	}
	return nil
}

// nested returns the bucket a bucket value describes.
func (b *boltBucket) nested(val []byte) (*boltBucket, error) {
	if len(val) < 16 {
		return nil, fmt.Errorf("%w: bucket header of %d bytes", ErrBoltFormat, len(val))
	}
	root := binary.LittleEndian.Uint64(val)
	if root != 0 {
		return &boltBucket{db: b.db, root: root}, nil
	}
	inline := val[16:]
	if len(inline) < boltPageHeader {
		// An empty inline bucket: a page header with no elements.
		inline = make([]byte, boltPageHeader)
		binary.LittleEndian.PutUint16(inline[8:], boltLeafPage)
	}
	return &boltBucket{db: b.db, inline: inline}, nil
}

// bucket returns the nested bucket named name, or nil.
func (b *boltBucket) bucket(name string) (*boltBucket, error) {
	var found *boltBucket
	err := b.forEach(func(key, _ []byte, nb *boltBucket) error {
		if nb != nil && string(key) == name {
			found = nb
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, err
}

// get returns the value of key, or nil.
func (b *boltBucket) get(name string) ([]byte, error) {
	var found []byte
	err := b.forEach(func(key, val []byte, nb *boltBucket) error {
		if nb == nil && string(key) == name {
			found = val
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, err
}

// errStop ends a forEach early.
var errStop = errors.New("stop")
