package events

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// watchOOM asks the kernel to signal an eventfd when the v1 memory
// cgroup runs out of memory: the eventfd and the memory.oom_control fd
// are written to cgroup.event_control. The kernel signals it again when
// the cgroup is removed. See Documentation/admin-guide/cgroup-v1/memory.rst,
// "Memory thresholds" and "OOM Control". Called with w.mu held.
func (w *cgWatcher) watchOOM(n *cgNode) {
	ctl, err := unix.Open(filepath.Join(n.dir, "memory.oom_control"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer unix.Close(ctl)
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return
	}
	reg := strconv.Itoa(efd) + " " + strconv.Itoa(ctl)
	if err := os.WriteFile(filepath.Join(n.dir, "cgroup.event_control"), []byte(reg), 0); err != nil {
		unix.Close(efd)
		return
	}
	if err := w.ep.add(efd); err != nil {
		unix.Close(efd)
		return
	}
	n.oomFD = efd
	w.oomFDs[efd] = n
	if data, err := readSmall(filepath.Join(n.dir, "memory.oom_control")); err == nil {
		n.mem = memoryCounters(data)
	}
}

// closeOOM closes a cgroup's OOM eventfd (which ends the registration).
// Called with w.mu held.
func (w *cgWatcher) closeOOM(n *cgNode) {
	if n.oomFD < 0 {
		return
	}
	w.ep.del(n.oomFD)
	unix.Close(n.oomFD)
	delete(w.oomFDs, n.oomFD)
	n.oomFD = -1
}

// readOOM waits on every OOM eventfd until close.
func (w *cgWatcher) readOOM() {
	for {
		var out []Event
		err := w.ep.wait(func(fd int) { out = w.onOOM(fd, out) })
		w.s.publish(out...)
		if err != nil {
			return
		}
	}
}

// onOOM handles a signalled OOM eventfd: an OOM event with the number of
// notifications, and an OOMKill event when memory.oom_control's oom_kill
// counter went up. A signal because the cgroup was removed is dropped
// (the directory watch reports the removal).
func (w *cgWatcher) onOOM(fd int, out []Event) []Event {
	var b [8]byte
	n, err := unix.Read(fd, b[:])
	if err != nil || n != 8 {
		return out
	}
	count := int64(binary.NativeEndian.Uint64(b[:]))
	w.mu.Lock()
	node := w.oomFDs[fd]
	w.mu.Unlock()
	if node == nil {
		return out
	}
	data, err := readSmall(filepath.Join(node.dir, "memory.oom_control"))
	if err != nil {
		// Removed: the kernel signals the eventfd as it goes.
		return out
	}
	now := time.Now()
	w.mu.Lock()
	old, cur := node.mem, memoryCounters(data)
	node.mem = cur
	w.mu.Unlock()
	ev := w.cgEvent(node, OOM, SourceEventfd, now)
	ev.Count = count
	ev.Detail = "the cgroup reached its memory limit and the OOM killer ran"
	out = append(out, ev)
	out = w.oomKills(node, old, cur, now, out)
	// The notification comes as the OOM killer starts: its kill is
	// counted after. Look again a little later.
	select {
	case w.recheck <- node:
	default:
	}
	return out
}

// oomKills emits OOMKill when oom_kill went up.
func (w *cgWatcher) oomKills(node *cgNode, old, cur inspect.MemoryEvents, now time.Time, out []Event) []Event {
	if cur.OOMKill <= old.OOMKill {
		return out
	}
	kill := w.cgEvent(node, OOMKill, SourceEventfd, now)
	kill.Count = cur.OOMKill - old.OOMKill
	kill.Detail = fmt.Sprintf("%d in all", cur.OOMKill)
	return append(out, kill)
}

// oomRecheckAfter are the delays after an OOM notification at which
// memory.oom_control is read again for the kill count.
var oomRecheckAfter = []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// recheckOOM re-reads memory.oom_control of the cgroups that were just
// notified, at the delays of oomRecheckAfter, until the stream closes.
func (w *cgWatcher) recheckOOM() {
	type check struct {
		node *cgNode
		at   time.Time
		step int
	}
	var checks []check
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := time.Now().Add(time.Hour)
		for _, c := range checks {
			if c.at.Before(next) {
				next = c.at
			}
		}
		timer.Reset(time.Until(next))
		select {
		case <-w.s.stop:
			return
		case n := <-w.recheck:
			checks = append(checks, check{n, time.Now().Add(oomRecheckAfter[0]), 0})
		case <-timer.C:
		}
		now := time.Now()
		var out []Event
		kept := checks[:0]
		for _, c := range checks {
			if c.at.After(now) {
				kept = append(kept, c)
				continue
			}
			data, err := readSmall(filepath.Join(c.node.dir, "memory.oom_control"))
			if err != nil {
				continue
			}
			w.mu.Lock()
			old, cur := c.node.mem, memoryCounters(data)
			c.node.mem = cur
			w.mu.Unlock()
			out = w.oomKills(c.node, old, cur, now, out)
			if c.step+1 < len(oomRecheckAfter) {
				kept = append(kept, check{c.node, c.at.Add(oomRecheckAfter[c.step+1] - oomRecheckAfter[c.step]), c.step + 1})
			}
		}
		checks = kept
		w.s.publish(out...)
	}
}

// readSmall reads a small kernel file (a cgroup control file) in one read.
func readSmall(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}
