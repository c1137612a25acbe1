package main

import (
	"context"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/events"
	"github.com/nscope/nscope/tui"
)

// liveKinds are the events the TUI's live mode acts on (lost and warning
// events always arrive). Populated, empty and the memory.high and
// memory.max counters change nothing a refresh does not show, and come
// often on a busy host.
var liveKinds = []events.Kind{
	events.Fork, events.Exec, events.Exit, events.Comm, events.UID, events.Move,
	events.NSNew, events.NSGone, events.CgroupNew, events.CgroupGone,
	events.Frozen, events.Thawed, events.OOM, events.OOMKill, events.Limit,
}

// tuiFreezerPoll is how often the TUI's stream reads v1 freezer states;
// tuiBatch how long its ring buffer reader waits between two reads;
// tuiHolderCheck the least time between two of its holder scans.
const (
	tuiFreezerPoll = 10 * time.Second
	tuiBatch       = 25 * time.Millisecond
	tuiHolderCheck = 5 * time.Second
)

// tuiEvents returns what opens the event stream of the TUI's live mode on
// this host (see tui.Options.Events).
func tuiEvents() func(context.Context) (tui.EventStream, error) {
	return func(ctx context.Context) (tui.EventStream, error) {
		// The stream's own scans (holder checks, resyncs) need processes
		// and namespaces only.
		scanner := newScanner(inspect.WithCgroups(false))
		journal := control.NewJournal(control.DefaultStateDir())
		stream, err := events.Open(ctx,
			events.ProcRoot(global.procRoot),
			events.SysRoot(global.sysRoot),
			events.WithScanner(scanner),
			// v1 freezer.state is read when written (inotify) and each
			// read walks the cgroup's descendants: polling 300 of them
			// once a second cost the TUI 0.1% of a core, for writes
			// through a container's own cgroup mount only.
			events.FreezerPoll(tuiFreezerPoll),
			// Events reach the TUI in batches of 20 ms anyway: the ring
			// buffer's reader need not wake every 10 ms while processes
			// come and go.
			events.Batch(tuiBatch),
			// A namespace that lost its last member is confirmed gone by
			// a scan of every process's fds and mounts: where containers
			// come and go, at most one every tuiHolderCheck (a member-less
			// namespace row lingers that long).
			events.HolderCheck(100*time.Millisecond, tuiHolderCheck),
			events.WithJournal(journal.Path(), journalChanges(journal)))
		if err != nil {
			scanner.Close()
			return nil, err
		}
		return &liveStream{stream: stream, scanner: scanner, sub: stream.Subscribe(events.Filter{Kinds: liveKinds}, tui.EventBuffer)}, nil
	}
}

// liveStream is a stream and the TUI's subscription to it.
type liveStream struct {
	stream  *events.Stream
	scanner *inspect.Scanner
	sub     *events.Subscription
}

func (l *liveStream) Events() <-chan events.Event { return l.sub.Events() }

func (l *liveStream) ProcessEvents() (bool, string) {
	for _, s := range l.stream.Sources() {
		if s.Name == "processes" {
			return s.Running, s.Detail
		}
	}
	return false, "process events are not watched"
}

func (l *liveStream) Close() {
	l.sub.Close()
	l.stream.Close()
	l.scanner.Close()
}
