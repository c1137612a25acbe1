package control

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control/nsexec"
)

// ErrSeccompCopy is wrapped by ReadSeccompFilters' failures.
var ErrSeccompCopy = errors.New("cannot copy the seccomp filter")

// seccompStopWait is how long ReadSeccompFilters waits for the target to
// reach the ptrace stop (a frozen process never does).
const seccompStopWait = time.Second

// seccompCopyFlags are the SECCOMP_FILTER_FLAG_* bits a filter keeps when
// copied: PTRACE_SECCOMP_GET_METADATA reports SECCOMP_FILTER_FLAG_LOG.
const seccompCopyFlags = unix.SECCOMP_FILTER_FLAG_LOG

// ReadSeccompFilters returns the seccomp filters of pid, oldest first (the
// order to install them in), as classic BPF with their flags. It stops
// the process for a moment with PTRACE_SEIZE and PTRACE_INTERRUPT, reads
// each filter with PTRACE_SECCOMP_GET_FILTER and its flags with
// PTRACE_SECCOMP_GET_METADATA, and detaches. The kernel allows this to a
// tracer with CAP_SYS_ADMIN that is not itself under seccomp, and only
// with CONFIG_CHECKPOINT_RESTORE. See ptrace(2), seccomp(2).
func ReadSeccompFilters(pid int) ([]nsexec.SeccompFilter, error) {
	type result struct {
		filters []nsexec.SeccompFilter
		err     error
	}
	done := make(chan result, 1)
	go func() {
		// ptrace requests must come from the tracing thread. The thread
		// stays locked and dies with this goroutine, so the kernel detaches
		// whatever an error path left attached.
		runtime.LockOSThread()
		f, err := readSeccompLocked(pid)
		done <- result{f, err}
	}()
	r := <-done
	return r.filters, r.err
}

func readSeccompLocked(pid int) ([]nsexec.SeccompFilter, error) {
	if err := unix.PtraceSeize(pid); err != nil {
		return nil, seccompErr(pid, "attach with PTRACE_SEIZE", err)
	}
	detached := false
	defer func() {
		if !detached {
			_ = unix.PtraceDetach(pid)
		}
	}()
	if err := unix.PtraceInterrupt(pid); err != nil {
		return nil, seccompErr(pid, "stop with PTRACE_INTERRUPT", err)
	}
	if err := waitPtraceStop(pid); err != nil {
		return nil, err
	}
	var newestFirst []nsexec.SeccompFilter
	for i := 0; i < nsexec.MaxFilters+1; i++ {
		n, err := ptraceSeccompFilter(pid, i, nil)
		if errors.Is(err, unix.ENOENT) {
			break
		}
		if err != nil {
			return nil, seccompErr(pid, fmt.Sprintf("read filter %d with PTRACE_SECCOMP_GET_FILTER", i), err)
		}
		if n <= 0 || n > nsexec.MaxInsns {
			return nil, fmt.Errorf("%w of process %d: filter %d has %d instructions", ErrSeccompCopy, pid, i, n)
		}
		buf := make([]unix.SockFilter, n)
		if _, err := ptraceSeccompFilter(pid, i, buf); err != nil {
			return nil, seccompErr(pid, fmt.Sprintf("read filter %d", i), err)
		}
		flags, err := ptraceSeccompFlags(pid, i)
		if err != nil {
			return nil, seccompErr(pid, fmt.Sprintf("read the flags of filter %d with PTRACE_SECCOMP_GET_METADATA", i), err)
		}
		newestFirst = append(newestFirst, nsexec.SeccompFilter{Flags: uint32(flags & seccompCopyFlags), Insns: sockFilterBytes(buf)})
	}
	if len(newestFirst) > nsexec.MaxFilters {
		return nil, fmt.Errorf("%w of process %d: more than %d filters", ErrSeccompCopy, pid, nsexec.MaxFilters)
	}
	if err := unix.PtraceDetach(pid); err != nil {
		return nil, seccompErr(pid, "detach", err)
	}
	detached = true
	out := make([]nsexec.SeccompFilter, 0, len(newestFirst))
	for i := len(newestFirst) - 1; i >= 0; i-- {
		out = append(out, newestFirst[i])
	}
	return out, nil
}

// waitPtraceStop waits until the seized pid reports its interrupt stop.
func waitPtraceStop(pid int) error {
	deadline := time.Now().Add(seccompStopWait)
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WALL|unix.WNOHANG, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return seccompErr(pid, "wait for the ptrace stop", err)
		case got == pid && ws.Stopped():
			return nil
		case got == pid:
			return fmt.Errorf("%w of process %d: it exited while being read", ErrSeccompCopy, pid)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w of process %d: it did not stop for ptrace within %s (is it frozen?)", ErrSeccompCopy, pid, seccompStopWait)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ptraceSeccompFilter is PTRACE_SECCOMP_GET_FILTER: with buf nil it
// returns the number of instructions of filter index.
func ptraceSeccompFilter(pid, index int, buf []unix.SockFilter) (int, error) {
	var data uintptr
	if len(buf) > 0 {
		data = uintptr(unsafe.Pointer(&buf[0]))
	}
	n, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), uintptr(index), data, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// ptraceSeccompFlags is PTRACE_SECCOMP_GET_METADATA for filter index.
func ptraceSeccompFlags(pid, index int) (uint64, error) {
	meta := struct{ FilterOff, Flags uint64 }{FilterOff: uint64(index)}
	_, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_METADATA, uintptr(pid), unsafe.Sizeof(meta), uintptr(unsafe.Pointer(&meta)), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return meta.Flags, nil
}

// sockFilterBytes encodes struct sock_filter records as the helper reads
// them: code (LE16), jt, jf, k (LE32).
func sockFilterBytes(insns []unix.SockFilter) []byte {
	out := make([]byte, 0, 8*len(insns))
	for _, in := range insns {
		out = append(out, byte(in.Code), byte(in.Code>>8), in.Jt, in.Jf,
			byte(in.K), byte(in.K>>8), byte(in.K>>16), byte(in.K>>24))
	}
	return out
}

// seccompErr explains a ptrace failure in plain words.
func seccompErr(pid int, doing string, err error) error {
	why := ""
	switch {
	case errors.Is(err, unix.EIO), errors.Is(err, unix.EINVAL):
		why = " (the kernel lacks CONFIG_CHECKPOINT_RESTORE, which PTRACE_SECCOMP_GET_FILTER needs)"
	case errors.Is(err, unix.EPERM):
		why = " (it is traced by another process already, or nscope lacks CAP_SYS_PTRACE)"
	case errors.Is(err, unix.EACCES):
		why = " (nscope lacks CAP_SYS_ADMIN, or runs under seccomp itself)"
	case errors.Is(err, unix.ESRCH):
		why = " (it exited)"
	}
	return fmt.Errorf("%w of process %d: %s: %s%s", ErrSeccompCopy, pid, doing, errnoWords(errnoOf(err)), why)
}
