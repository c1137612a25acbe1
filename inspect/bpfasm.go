package inspect

import "fmt"

// A tiny eBPF assembler for the iterator programs in bpfiter.go: enough
// instructions to chase kernel pointers and write records. See
// Documentation/bpf/standardization/instruction-set.rst.

type bpfReg uint8

const (
	r0 bpfReg = iota
	r1
	r2
	r3
	r4
	r5
	r6
	r7
	r8
	r9
	r10 // frame pointer, read-only
)

// Opcode pieces.
const (
	bpfLDX   = 0x01
	bpfST    = 0x02
	bpfSTX   = 0x03
	bpfALU64 = 0x07
	bpfJMP   = 0x05
	bpfMEM   = 0x60
	bpfW     = 0x00 // 4 bytes
	bpfDW    = 0x18 // 8 bytes
	bpfK     = 0x00 // immediate operand
	bpfX     = 0x08 // register operand
	bpfMOV   = 0xb0
	bpfADD   = 0x00
	bpfSUB   = 0x10
	bpfMUL   = 0x20
	bpfOR    = 0x40
	bpfJA    = 0x00
	bpfJEQ   = 0x10
	bpfJGT   = 0x20
	bpfJNE   = 0x50
	bpfJLE   = 0xb0
	bpfCALL  = 0x80
	bpfEXIT  = 0x90
)

type bpfInsn struct {
	code     uint8
	dst, src bpfReg
	off      int16
	imm      int32
	label    string // jump target, resolved by assemble
}

// bpfProg collects instructions and labels.
type bpfProg struct {
	insns  []bpfInsn
	labels map[string]int
}

func newBPFProg() *bpfProg { return &bpfProg{labels: map[string]int{}} }

func (p *bpfProg) emit(i bpfInsn) { p.insns = append(p.insns, i) }

// mark places label at the next instruction.
func (p *bpfProg) mark(label string) { p.labels[label] = len(p.insns) }

func memSize(size uint32) uint8 {
	if size == 8 {
		return bpfDW
	}
	return bpfW
}

// load: dst = *(size *)(src + off).
func (p *bpfProg) load(size uint32, dst, src bpfReg, off int16) {
	p.emit(bpfInsn{code: bpfLDX | bpfMEM | memSize(size), dst: dst, src: src, off: off})
}

// store: *(size *)(dst + off) = src.
func (p *bpfProg) store(size uint32, dst bpfReg, off int16, src bpfReg) {
	p.emit(bpfInsn{code: bpfSTX | bpfMEM | memSize(size), dst: dst, src: src, off: off})
}

// storeImm: *(size *)(dst + off) = imm.
func (p *bpfProg) storeImm(size uint32, dst bpfReg, off int16, imm int32) {
	p.emit(bpfInsn{code: bpfST | bpfMEM | memSize(size), dst: dst, off: off, imm: imm})
}

func (p *bpfProg) movImm(dst bpfReg, imm int32) {
	p.emit(bpfInsn{code: bpfALU64 | bpfMOV | bpfK, dst: dst, imm: imm})
}

func (p *bpfProg) mov(dst, src bpfReg) {
	p.emit(bpfInsn{code: bpfALU64 | bpfMOV | bpfX, dst: dst, src: src})
}

func (p *bpfProg) addImm(dst bpfReg, imm int32) {
	p.emit(bpfInsn{code: bpfALU64 | bpfADD | bpfK, dst: dst, imm: imm})
}

func (p *bpfProg) mulImm(dst bpfReg, imm int32) {
	p.emit(bpfInsn{code: bpfALU64 | bpfMUL | bpfK, dst: dst, imm: imm})
}

func (p *bpfProg) subReg(dst, src bpfReg) {
	p.emit(bpfInsn{code: bpfALU64 | bpfSUB | bpfX, dst: dst, src: src})
}

func (p *bpfProg) orReg(dst, src bpfReg) {
	p.emit(bpfInsn{code: bpfALU64 | bpfOR | bpfX, dst: dst, src: src})
}

// jumpImm: if dst <op> imm goto label (op is bpfJEQ, bpfJNE, bpfJGT or
// bpfJLE; unsigned).
func (p *bpfProg) jumpImm(op uint8, dst bpfReg, imm int32, label string) {
	p.emit(bpfInsn{code: bpfJMP | op | bpfK, dst: dst, imm: imm, label: label})
}

// jumpReg: if dst <op> src goto label.
func (p *bpfProg) jumpReg(op uint8, dst, src bpfReg, label string) {
	p.emit(bpfInsn{code: bpfJMP | op | bpfX, dst: dst, src: src, label: label})
}

func (p *bpfProg) ja(label string) { p.emit(bpfInsn{code: bpfJMP | bpfJA, label: label}) }

func (p *bpfProg) call(helper int32) { p.emit(bpfInsn{code: bpfJMP | bpfCALL, imm: helper}) }

func (p *bpfProg) exit() { p.emit(bpfInsn{code: bpfJMP | bpfEXIT}) }

// assemble resolves labels and encodes the program in the kernel's
// little-endian struct bpf_insn layout.
func (p *bpfProg) assemble() ([]uint64, error) {
	out := make([]uint64, len(p.insns))
	for i, in := range p.insns {
		off := in.off
		if in.label != "" {
			at, ok := p.labels[in.label]
			if !ok {
				return nil, fmt.Errorf("bpf: no label %q", in.label)
			}
			off = int16(at - i - 1)
		}
		out[i] = uint64(in.code) | uint64(in.dst&0xf)<<8 | uint64(in.src&0xf)<<12 |
			uint64(uint16(off))<<16 | uint64(uint32(in.imm))<<32
	}
	return out, nil
}
