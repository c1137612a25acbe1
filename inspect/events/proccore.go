package events

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// procBatch is what the ring reader hands the core: records, the
// kernel's lost count so far, and how many records did not decode.
type procBatch struct {
	records []procRecord
	lost    uint64
	bad     int
}

// procCore owns the tracker: it applies record batches, runs scans to
// confirm namespace deaths and to resync after losses, and publishes.
type procCore struct {
	s       *Stream
	src     *bpfSource
	scanner *inspect.Scanner
	tr      *tracker
	batches chan procBatch
	scans   chan *inspect.Snapshot
	dirs    *dirWatch

	lastLost uint64
	// pending are proc connector records waiting for the ring's records
	// of the same moment (the ring is read in batches, the connector at
	// once: applied first, a UID change could come before the fork of
	// its process); pendingTimer applies them if no batch comes.
	pending      []procRecord
	pendingTimer *time.Timer
	// conn is the proc connector socket for UID changes (nil when BPF
	// reports them); the core alone reads it, when connReady says it has
	// data and before it applies each batch from the ring.
	conn         *uidConn
	connBuf      []byte
	connReady    chan struct{}
	connDrained  chan struct{}
	scanRunning  bool
	lastScanTook time.Duration
	lastScan     time.Time
	timer        *time.Timer
}

// startProcesses loads the BPF programs, scans /proc once for the state
// the records apply to, and starts the core; without the programs (not
// root, no BTF) it warns and returns.
func (s *Stream) startProcesses(ctx context.Context) {
	src, err := openBPF(s.cfg.batch, s.cfg.ringBytes)
	if err != nil {
		s.warn("processes", processesUnavailable(err))
		return
	}
	s.setSource("processes", true, "BPF tracepoints sched_process_fork/exec/exit, task_rename, cgroup_attach_task, ring buffer")
	var conn *uidConn
	if src.credsErr == nil {
		s.setSource("uid changes", true, "BPF fentry on commit_creds")
	} else if conn, err = openUIDConn(); err == nil {
		s.setSource("uid changes", true, "proc connector, UID events only ("+src.credsErr.Error()+")")
	} else {
		s.warn("uid changes", "reported only across exec: "+src.credsErr.Error()+", and "+err.Error())
	}
	c := &procCore{
		s:            s,
		src:          src,
		scanner:      s.cfg.scanner,
		tr:           newTracker(s.cfg.procRoot, s.layout),
		batches:      make(chan procBatch, 64),
		scans:        make(chan *inspect.Snapshot, 1),
		timer:        time.NewTimer(time.Hour),
		pendingTimer: time.NewTimer(time.Hour),
	}
	c.timer.Stop()
	c.pendingTimer.Stop()
	if c.scanner == nil {
		c.scanner = inspect.New(inspect.ProcRoot(s.cfg.procRoot), inspect.SysRoot(s.cfg.sysRoot), inspect.RunRoot(s.cfg.runRoot), inspect.WithCgroups(false))
	}
	// The first scan: the state the records will be applied to. Records
	// wait in the ring buffer meanwhile.
	snap, err := c.scanner.Scan(ctx)
	if err != nil {
		src.close()
		if conn != nil {
			conn.close()
		}
		s.warn("processes", "first scan of /proc failed: "+err.Error())
		return
	}
	c.lastScan = time.Now()
	c.tr.applyScan(snap, time.Now(), true, nil)
	if in, err := s.inotify(); err == nil {
		c.dirs = newDirWatch(in)
	} else {
		s.warn("namespaces", "named network namespaces are seen only at the next scan: "+err.Error())
	}
	s.onClose(src.close)
	if conn != nil {
		c.conn, c.connBuf = conn, make([]byte, 16<<10)
		c.connReady, c.connDrained = make(chan struct{}), make(chan struct{})
		s.goSource(func() { conn.waitReadable(c.connReady, c.connDrained, s.stop) })
	}
	s.goSource(func() {
		src.run(func(records []procRecord, lost uint64, bad int) {
			select {
			case c.batches <- procBatch{records: records, lost: lost, bad: bad}:
			case <-s.stop:
			}
		})
	})
	s.goSource(c.run)
}

// processesUnavailable explains why the programs did not load.
func processesUnavailable(err error) string {
	switch {
	case os.Geteuid() != 0:
		// (cilium/ebpf's EPERM text suggests MEMLOCK; the cause is not
		// being root.)
		return "process events need root: loading their BPF programs is refused (EPERM)"
	default:
		return "process events unavailable (they need a kernel with BTF, 5.8 or later): " + err.Error()
	}
}

// run is the core loop.
func (c *procCore) run() {
	defer c.timer.Stop()
	defer c.pendingTimer.Stop()
	if c.conn != nil {
		// The core alone reads the socket: it closes it, last.
		defer c.conn.close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-c.s.stop
		cancel()
	}()
	c.watchDirs()
	var dirEvents <-chan struct{}
	if c.dirs != nil {
		dirEvents = c.dirs.changed
	}
	var out []Event
	for {
		select {
		case <-c.s.stop:
			return
		case b := <-c.batches:
			// UID changes already queued happened before this batch's
			// later records: take them first, to merge them in order.
			out = c.drainConn(out[:0])
			out = c.applyBatch(b, out)
			c.s.publish(out...)
		case <-c.connReady:
			out = c.drainConn(out[:0])
			c.connDrained <- struct{}{}
			c.s.publish(out...)
		case <-c.pendingTimer.C:
			out = c.applyRecords(c.pending, out[:0])
			c.pending = nil
			c.s.publish(out...)
		case snap := <-c.scans:
			c.scanRunning = false
			c.lastScan = time.Now()
			if snap != nil {
				c.lastScanTook = snap.ScanDuration
			}
			if snap == nil {
				c.tr.abortScan()
				break
			}
			out = c.tr.applyScan(snap, time.Now(), false, out[:0])
			c.s.publish(out...)
			c.watchDirs()
		case <-dirEvents:
			c.tr.wantScan = true
		case <-c.timer.C:
			c.startScan(ctx)
		}
		c.schedule()
	}
}

// applyBatch turns a batch into events: first a Lost event when the
// kernel dropped records since the last batch, then the records'.
func (c *procCore) applyBatch(b procBatch, out []Event) []Event {
	if b.lost > c.lastLost {
		n := b.lost - c.lastLost
		c.lastLost = b.lost
		out = append(out, Event{Time: time.Now(), Kind: Lost, Source: SourceBPF, Count: int64(n),
			Detail: fmt.Sprintf("lost %d process events (the kernel's ring buffer was full), rescanning /proc", n)})
		c.tr.wantScan = true
	}
	if b.bad > 0 {
		out = append(out, Event{Time: time.Now(), Kind: Warning, Source: SourceBPF, Count: int64(b.bad),
			Detail: fmt.Sprintf("%d process records did not decode", b.bad)})
	}
	records := b.records
	if len(c.pending) > 0 && len(records) > 0 {
		records, c.pending = mergeRecords(records, c.pending, records[len(records)-1].bootNS)
		if len(c.pending) == 0 {
			c.pendingTimer.Stop()
		}
	}
	return c.applyRecords(records, out)
}

// pendingWait is how long a proc connector record waits for the ring to
// show a record at least as recent before it is applied anyway (on a
// quiet host no record may come; on a loaded one the ring's reader can be
// late by more than its 10 ms).
const pendingWait = 250 * time.Millisecond

// drainConn takes the UID changes waiting in the proc connector socket
// into pending (a Lost event when the socket overflowed).
func (c *procCore) drainConn(out []Event) []Event {
	if c.conn == nil {
		return out
	}
	records, overflowed, err := c.conn.drain(c.connBuf)
	if overflowed {
		out = append(out, Event{Time: time.Now(), Kind: Lost, Source: SourceConnector,
			Detail: "lost UID change events (the proc connector socket overflowed), rescanning /proc"})
		c.tr.wantScan = true
	}
	if err != nil || len(records) == 0 {
		return out
	}
	for i := range records {
		// On the ring's clock, to be merged with its records.
		records[i].bootNS = monoToBoot(records[i].monoNS)
	}
	if len(c.pending) == 0 {
		c.pendingTimer.Reset(pendingWait)
	}
	c.pending = append(c.pending, records...)
	return out
}

// applyRecords applies records in order.
func (c *procCore) applyRecords(records []procRecord, out []Event) []Event {
	boot := bootOffset()
	for i := range records {
		r := &records[i]
		out = c.tr.apply(r, time.Unix(0, int64(r.bootNS)).Add(boot), out)
	}
	return out
}

// mergeRecords merges the pending records up to time upTo into records
// (both in time order) and returns the merge and the pending left.
func mergeRecords(records, pending []procRecord, upTo uint64) ([]procRecord, []procRecord) {
	n := 0
	for n < len(pending) && pending[n].bootNS <= upTo {
		n++
	}
	if n == 0 {
		return records, pending
	}
	merged := make([]procRecord, 0, len(records)+n)
	i, j := 0, 0
	for i < len(records) || j < n {
		if j == n || (i < len(records) && records[i].bootNS <= pending[j].bootNS) {
			merged = append(merged, records[i])
			i++
		} else {
			merged = append(merged, pending[j])
			j++
		}
	}
	return merged, pending[n:]
}

// schedule arms the timer for the next scan: soon after a namespace lost
// its last member or a holder changed, but never closer than checkEvery
// to the last; every fdRecheck while an fd alone holds a namespace.
func (c *procCore) schedule() {
	if c.scanRunning {
		return
	}
	var due time.Time
	switch {
	case len(c.tr.candidates) > 0 || c.tr.wantScan:
		due = time.Now().Add(c.s.cfg.checkDelay)
		// At most one scan per checkEvery, and never more than a 20th of
		// the time: under namespace churn on a big host the checks become
		// periodic rescans, not a scan loop.
		gap := max(c.s.cfg.checkEvery, 20*c.lastScanTook)
		if min := c.lastScan.Add(gap); due.Before(min) {
			due = min
		}
	case c.tr.fdHeld:
		due = c.lastScan.Add(c.s.cfg.fdRecheck)
	default:
		c.timer.Stop()
		return
	}
	c.timer.Reset(time.Until(due))
}

// startScan scans in the background; the result comes back on c.scans.
func (c *procCore) startScan(ctx context.Context) {
	if c.scanRunning {
		return
	}
	c.scanRunning = true
	c.tr.beginScan()
	c.s.goSource(func() {
		snap, err := c.scanner.Scan(ctx)
		if err != nil {
			snap = nil
		}
		select {
		case c.scans <- snap:
		case <-c.s.stop:
		}
	})
}

// watchDirs points the directory watch at /run/netns and the directories
// of the bind mounts that hold namespaces.
func (c *procCore) watchDirs() {
	if c.dirs == nil {
		return
	}
	dirs := append([]string{c.s.cfg.runRoot + "/netns"}, c.tr.watchDirs...)
	c.dirs.set(dirs, c.s.cfg.runRoot)
}

// monoToBoot converts a CLOCK_MONOTONIC reading to CLOCK_BOOTTIME (they
// differ by the time the machine was suspended).
func monoToBoot(mono uint64) uint64 {
	var m, b unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &m)
	unix.ClockGettime(unix.CLOCK_BOOTTIME, &b)
	return shiftClock(mono, b.Nano()-m.Nano())
}

// shiftClock adds the (never negative) distance between two clocks.
func shiftClock(t uint64, by int64) uint64 { return t + uint64(max(by, 0)) }

// bootOffset returns what to add to a CLOCK_BOOTTIME reading to get the
// wall-clock time.
func bootOffset() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return time.Duration(time.Now().UnixNano() - ts.Nano())
}
