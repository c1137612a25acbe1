package inspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// kernelBTF is the little of the kernel's BTF (/sys/kernel/btf/vmlinux)
// the BPF task iterator needs: type IDs by name and member offsets, so
// that the program reads task_struct and friends at this kernel's
// offsets. See Documentation/bpf/btf.rst.
type kernelBTF struct {
	types []byte
	strs  []byte
	// offs[id] is where type id starts in types; id 0 is void.
	offs []uint32
	ids  map[btfKey]uint32
	// enums holds the values of the enumerators in btfWantedEnums.
	enums map[string]int64
}

// BTF kinds used here. See include/uapi/linux/btf.h.
const (
	btfKindInt       = 1
	btfKindPtr       = 2
	btfKindArray     = 3
	btfKindStruct    = 4
	btfKindUnion     = 5
	btfKindEnum      = 6
	btfKindFwd       = 7
	btfKindTypedef   = 8
	btfKindVolatile  = 9
	btfKindConst     = 10
	btfKindRestrict  = 11
	btfKindFunc      = 12
	btfKindFuncProto = 13
	btfKindVar       = 14
	btfKindDatasec   = 15
	btfKindFloat     = 16
	btfKindDeclTag   = 17
	btfKindTypeTag   = 18
	btfKindEnum64    = 19
)

const btfMagic = 0xeb9f

var errNoBTF = errors.New("no kernel BTF")

// loadKernelBTF reads and indexes a raw BTF file.
func loadKernelBTF(path string) (*kernelBTF, error) {
	data, err := mapFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%w: %s is missing (kernel built without CONFIG_DEBUG_INFO_BTF)", errNoBTF, path)
		}
		return nil, err
	}
	return parseBTF(data)
}

// mapFile maps path read-only, populated up front: sysfs serves
// /sys/kernel/btf/vmlinux to mmap since Linux 6.15. Elsewhere it reads
// the file into a populated anonymous mapping (page faults on a fresh
// Go buffer cost more than the copy on a virtual machine). The mapping
// lives as long as the scanner.
func mapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size <= 0 || size > 1<<30 {
		return io.ReadAll(f)
	}
	if data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_POPULATE); err == nil {
		return data, nil
	}
	buf, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return io.ReadAll(f)
	}
	n := 0
	for n < len(buf) {
		m, err := f.ReadAt(buf[n:], int64(n))
		n += m
		if err != nil || m == 0 {
			break
		}
	}
	return buf[:n], nil
}

func parseBTF(data []byte) (*kernelBTF, error) {
	le := binary.LittleEndian
	if len(data) < 24 || le.Uint16(data) != btfMagic {
		return nil, fmt.Errorf("btf: bad magic")
	}
	hdrLen := le.Uint32(data[4:])
	typeOff, typeLen := le.Uint32(data[8:]), le.Uint32(data[12:])
	strOff, strLen := le.Uint32(data[16:]), le.Uint32(data[20:])
	end := func(off, n uint32) bool { return uint64(hdrLen)+uint64(off)+uint64(n) <= uint64(len(data)) }
	if !end(typeOff, typeLen) || !end(strOff, strLen) {
		return nil, fmt.Errorf("btf: sections out of range")
	}
	b := &kernelBTF{
		types: data[hdrLen+typeOff : hdrLen+typeOff+typeLen],
		strs:  data[hdrLen+strOff : hdrLen+strOff+strLen],
		offs:  make([]uint32, 1, 1<<17),
	}
	for off := uint32(0); off < typeLen; {
		if off+12 > typeLen {
			return nil, fmt.Errorf("btf: truncated type at %d", off)
		}
		b.offs = append(b.offs, off)
		info := le.Uint32(b.types[off+4:])
		kind, vlen := (info>>24)&0x1f, info&0xffff
		off += 12
		switch kind {
		case btfKindInt, btfKindVar, btfKindDeclTag:
			off += 4
		case btfKindArray:
			off += 12
		case btfKindStruct, btfKindUnion, btfKindDatasec, btfKindEnum64:
			off += 12 * vlen
		case btfKindEnum, btfKindFuncProto:
			off += 8 * vlen
		case btfKindPtr, btfKindFwd, btfKindTypedef, btfKindVolatile, btfKindConst,
			btfKindRestrict, btfKindFunc, btfKindFloat, btfKindTypeTag:
		default:
			return nil, fmt.Errorf("btf: unknown kind %d", kind)
		}
	}
	return b, nil
}

func (b *kernelBTF) hdr(id uint32) (nameOff, kind, vlen, sizeType uint32, kflag bool) {
	le := binary.LittleEndian
	t := b.types[b.offs[id]:]
	info := le.Uint32(t[4:])
	return le.Uint32(t), (info >> 24) & 0x1f, info & 0xffff, le.Uint32(t[8:]), info&(1<<31) != 0
}

// name returns the bytes of the string at off, without copying.
func (b *kernelBTF) name(off uint32) []byte {
	if int(off) >= len(b.strs) {
		return nil
	}
	s := b.strs[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// btfWanted are the structs and functions the iterator programs look
// up; find indexes them in one pass over the types.
var btfWanted = map[string]bool{
	"task_struct": true, "cred": true, "nsproxy": true, "pid": true, "upid": true,
	"mnt_namespace": true, "pid_namespace": true, "net": true, "ipc_namespace": true,
	"uts_namespace": true, "user_namespace": true, "cgroup_namespace": true,
	"time_namespace": true, "file": true, "inode": true, "super_block": true,
	"bpf_iter_task": true, "bpf_iter_task_file": true,
	"mm_struct": true, "signal_struct": true, "percpu_counter": true,
}

// btfWantedEnums are the enumerators enumValue looks up.
var btfWantedEnums = map[string]bool{
	"MM_FILEPAGES": true, "MM_ANONPAGES": true, "MM_SHMEMPAGES": true, "NR_MM_COUNTERS": true,
}

type btfKey struct {
	kind uint32
	name string
}

// find returns the ID of the first type of kind named name, which must
// be in btfWanted.
func (b *kernelBTF) find(kind uint32, name string) (uint32, bool) {
	if b.ids == nil {
		b.ids = make(map[btfKey]uint32, len(btfWanted))
		for id := uint32(1); id < uint32(len(b.offs)); id++ {
			nameOff, k, _, _, _ := b.hdr(id)
			if k != btfKindStruct && k != btfKindFunc {
				continue
			}
			n := b.name(nameOff)
			if !btfWanted[string(n)] {
				continue
			}
			key := btfKey{k, string(n)}
			if _, dup := b.ids[key]; !dup {
				b.ids[key] = id
			}
		}
	}
	id, ok := b.ids[btfKey{kind, name}]
	return id, ok
}

// enumValue returns the value of the enumerator name, which must be in
// btfWantedEnums.
func (b *kernelBTF) enumValue(name string) (int64, bool) {
	if b.enums == nil {
		b.enums = make(map[string]int64, len(btfWantedEnums))
		le := binary.LittleEndian
		for id := uint32(1); id < uint32(len(b.offs)); id++ {
			_, k, vlen, _, kflag := b.hdr(id)
			if k != btfKindEnum && k != btfKindEnum64 {
				continue
			}
			vals := b.types[b.offs[id]+12:]
			for i := uint32(0); i < vlen; i++ {
				var nameOff uint32
				var v int64
				if k == btfKindEnum {
					e := vals[8*i:]
					nameOff, v = le.Uint32(e), int64(int32(le.Uint32(e[4:])))
					if !kflag { // unsigned
						v = int64(le.Uint32(e[4:]))
					}
				} else {
					e := vals[12*i:]
					nameOff, v = le.Uint32(e), int64(uint64(le.Uint32(e[4:]))|uint64(le.Uint32(e[8:]))<<32)
				}
				if n := b.name(nameOff); btfWantedEnums[string(n)] {
					if _, dup := b.enums[string(n)]; !dup {
						b.enums[string(n)] = v
					}
				}
			}
		}
	}
	v, ok := b.enums[name]
	return v, ok
}

// array returns the element type and length of array type id.
func (b *kernelBTF) array(id uint32) (elem, n uint32, ok bool) {
	id = b.resolve(id)
	if id == 0 {
		return 0, 0, false
	}
	if _, kind, _, _, _ := b.hdr(id); kind != btfKindArray {
		return 0, 0, false
	}
	a := b.types[b.offs[id]+12:]
	return b.resolve(binary.LittleEndian.Uint32(a[0:])), binary.LittleEndian.Uint32(a[8:]), true
}

// resolve skips typedefs and qualifiers.
func (b *kernelBTF) resolve(id uint32) uint32 {
	for range 32 {
		if id == 0 || int(id) >= len(b.offs) {
			return id
		}
		_, kind, _, next, _ := b.hdr(id)
		switch kind {
		case btfKindTypedef, btfKindVolatile, btfKindConst, btfKindRestrict, btfKindTypeTag:
			id = next
		default:
			return id
		}
	}
	return id
}

// size returns the byte size of a type.
func (b *kernelBTF) size(id uint32) uint32 {
	id = b.resolve(id)
	if id == 0 {
		return 0
	}
	_, kind, _, sizeType, _ := b.hdr(id)
	switch kind {
	case btfKindPtr:
		return 8
	case btfKindArray:
		a := b.types[b.offs[id]+12:]
		return b.size(binary.LittleEndian.Uint32(a[0:])) * binary.LittleEndian.Uint32(a[8:])
	case btfKindInt, btfKindStruct, btfKindUnion, btfKindEnum, btfKindEnum64, btfKindFloat:
		return sizeType
	}
	return 0
}

// field is a member found by member or path: its byte offset from the start of
// the outer struct, its size and its (resolved) type ID.
type field struct {
	off, size, typ uint32
}

// member finds a named member of struct or union id, looking inside
// anonymous members too.
func (b *kernelBTF) member(id uint32, name string) (field, bool) {
	id = b.resolve(id)
	_, kind, vlen, _, kflag := b.hdr(id)
	if kind != btfKindStruct && kind != btfKindUnion {
		return field{}, false
	}
	le := binary.LittleEndian
	ms := b.types[b.offs[id]+12:]
	for i := uint32(0); i < vlen; i++ {
		m := ms[12*i:]
		nameOff, typ, bitOff := le.Uint32(m), le.Uint32(m[4:]), le.Uint32(m[8:])
		if kflag {
			bitOff &= 0xffffff
		}
		if bitOff%8 != 0 {
			continue // a bitfield
		}
		n := b.name(nameOff)
		switch {
		case string(n) == name:
			rt := b.resolve(typ)
			return field{off: bitOff / 8, size: b.size(rt), typ: rt}, true
		case len(n) == 0:
			if f, ok := b.member(typ, name); ok {
				f.off += bitOff / 8
				return f, true
			}
		}
	}
	return field{}, false
}

// path follows "a.b.c" from struct name, adding offsets through embedded
// structs. Pointers are not followed.
func (b *kernelBTF) path(structName, path string) (field, error) {
	id, ok := b.find(btfKindStruct, structName)
	if !ok {
		return field{}, fmt.Errorf("btf: no struct %s", structName)
	}
	f := field{typ: id}
	for part := range strings.SplitSeq(path, ".") {
		m, ok := b.member(f.typ, part)
		if !ok {
			return field{}, fmt.Errorf("btf: struct %s has no %s", structName, path)
		}
		f = field{off: f.off + m.off, size: m.size, typ: m.typ}
	}
	return f, nil
}
