package events

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

// bpfObjects are the programs and maps of bpf/procevents.bpf.c that are
// always loaded; on_creds is loaded apart (see loadCreds).
type bpfObjects struct {
	OnFork      *ebpf.Program `ebpf:"on_fork"`
	OnExec      *ebpf.Program `ebpf:"on_exec"`
	OnExit      *ebpf.Program `ebpf:"on_exit"`
	OnRename    *ebpf.Program `ebpf:"on_rename"`
	OnAttach    *ebpf.Program `ebpf:"on_attach"`
	OnOOMVictim *ebpf.Program `ebpf:"on_oom_victim"`
	Events      *ebpf.Map     `ebpf:"events"`
	// BSS holds the global variables (lost); on_creds shares it.
	BSS  *ebpf.Map      `ebpf:".bss"`
	Lost *ebpf.Variable `ebpf:"lost"`
}

// bpfSource is the process event source: the procevents programs
// attached to their tracepoints and the reader of their ring buffer.
type bpfSource struct {
	objs  bpfObjects
	creds *ebpf.Program
	links []link.Link
	rd    *ringbuf.Reader
	// credsErr says why UID changes outside exec are not reported.
	credsErr error
	// batch is how long the reader sleeps after draining the ring, so
	// that a busy host wakes it 1/batch times a second, not per event.
	batch time.Duration
	stop  chan struct{}
}

// openBPF loads and attaches the programs. It fails when the kernel
// refuses them (not root, no BTF, a kernel older than 5.8): the caller
// reports that as a Warning and runs without process events.
func openBPF(batch time.Duration, ringBytes uint32) (src *bpfSource, err error) {
	spec, err := loadProcEvents()
	if err != nil {
		return nil, err
	}
	if ringBytes != 0 {
		spec.Maps["events"].MaxEntries = ringBytes
	}
	s := &bpfSource{batch: batch, stop: make(chan struct{})}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if err := spec.LoadAndAssign(&s.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("load process event programs: verifier: %v", ve)
		}
		return nil, fmt.Errorf("load process event programs: %w", err)
	}
	for _, p := range []*ebpf.Program{s.objs.OnFork, s.objs.OnExec, s.objs.OnExit, s.objs.OnRename, s.objs.OnAttach} {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return nil, fmt.Errorf("attach %s: %w", p, err)
		}
		s.links = append(s.links, l)
	}
	// The OOM victim only marks an exit; a kernel without the tracepoint
	// loses that mark, not the source.
	if l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: "mark_victim", Program: s.objs.OnOOMVictim}); err == nil {
		s.links = append(s.links, l)
	}
	s.credsErr = s.loadCreds(spec)
	s.rd, err = ringbuf.NewReader(s.objs.Events)
	if err != nil {
		return nil, fmt.Errorf("open the process event ring buffer: %w", err)
	}
	return s, nil
}

// loadCreds loads and attaches on_creds, which shares the ring buffer
// and the lost counter with the rest. It needs a BPF trampoline, which
// some kernels refuse (this is what the error says).
func (s *bpfSource) loadCreds(spec *ebpf.CollectionSpec) error {
	var objs struct {
		OnCreds *ebpf.Program `ebpf:"on_creds"`
	}
	opts := &ebpf.CollectionOptions{MapReplacements: map[string]*ebpf.Map{"events": s.objs.Events, ".bss": s.objs.BSS}}
	if err := spec.LoadAndAssign(&objs, opts); err != nil {
		if errors.Is(err, unix.EPERM) {
			// cilium/ebpf suggests MEMLOCK for every EPERM; here it is
			// the kernel refusing the trampoline.
			return fmt.Errorf("the kernel refuses BPF trampolines (fentry on commit_creds: %w)", unix.EPERM)
		}
		return fmt.Errorf("load the credential program: %w", err)
	}
	l, err := link.AttachTracing(link.TracingOptions{Program: objs.OnCreds})
	if err != nil {
		objs.OnCreds.Close()
		return fmt.Errorf("attach the credential program: %w", err)
	}
	s.creds = objs.OnCreds
	s.links = append(s.links, l)
	return nil
}

// lost returns how many records the programs dropped so far.
func (s *bpfSource) lost() uint64 {
	var n uint64
	if err := s.objs.Lost.Get(&n); err != nil {
		return 0
	}
	return n
}

// run reads batches of records until close, and hands each to deliver
// with the kernel's lost count so far. deliver may block: the ring
// buffer then fills and the kernel counts what it drops.
func (s *bpfSource) run(deliver func(batch []procRecord, lost uint64, bad int)) {
	var rec ringbuf.Record
	for {
		var batch []procRecord
		bad := 0
		s.rd.SetDeadline(time.Time{})
		draining := false
		for {
			err := s.rd.ReadInto(&rec)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if err != nil {
				// Closed (or the ring broke, which only closing does).
				return
			}
			r, err := decodeRecord(rec.RawSample)
			if err != nil {
				bad++
			} else {
				batch = append(batch, r)
			}
			if !draining {
				// Drain what is there without waiting.
				s.rd.SetDeadline(time.Unix(1, 0))
				draining = true
			}
		}
		deliver(batch, s.lost(), bad)
		t := time.NewTimer(s.batch)
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return
		}
	}
}

// close detaches and unloads everything; a blocked run returns.
func (s *bpfSource) close() {
	select {
	case <-s.stop:
		return
	default:
		close(s.stop)
	}
	if s.rd != nil {
		s.rd.Close()
	}
	for _, l := range s.links {
		l.Close()
	}
	for _, p := range []*ebpf.Program{s.creds, s.objs.OnFork, s.objs.OnExec, s.objs.OnExit, s.objs.OnRename, s.objs.OnAttach, s.objs.OnOOMVictim} {
		if p != nil {
			p.Close()
		}
	}
	for _, m := range []*ebpf.Map{s.objs.Events, s.objs.BSS} {
		if m != nil {
			m.Close()
		}
	}
}
