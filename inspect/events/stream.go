package events

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nscope/nscope/inspect"
)

// Stream watches the host and delivers its events to subscribers. Open
// starts it; Close stops every source and ends every subscription.
type Stream struct {
	cfg    config
	layout inspect.CgroupLayout

	mu     sync.Mutex
	seq    uint64
	subs   []*Subscription
	closed bool
	// warnings are replayed to every new subscriber, so that one that
	// subscribes after Open still learns what is missing.
	warnings []Event
	sources  []SourceStatus

	stop    chan struct{}
	wg      sync.WaitGroup
	closers []func()
	// in is the one inotify instance every source shares.
	in *inotify
	// freezerPoke asks the v1 freezer poller to look now; freezerPolls
	// counts its polls (for tests).
	freezerPoke  chan struct{}
	freezerPolls atomic.Int64
}

// SourceStatus says whether one kind of event is being watched.
type SourceStatus struct {
	// Name is "processes", "uid changes", "cgroups" or "journal".
	Name    string `json:"name"`
	Running bool   `json:"running"`
	// Detail says how it watches, or why it does not.
	Detail string `json:"detail"`
}

// Open starts watching and returns once every source watches (it scans
// /proc and walks the cgroup trees first: run it off a UI goroutine).
// Sources that cannot run (process events need
// root and BTF) are reported as Warning events to every subscriber and
// in Sources; Open itself fails only when ctx is done.
func Open(ctx context.Context, opts ...Option) (*Stream, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Stream{cfg: cfg, stop: make(chan struct{})}
	layout, err := inspect.DetectCgroupLayout(cfg.procRoot, cfg.sysRoot)
	if err != nil {
		s.warn("cgroups", "cannot find the cgroup hierarchies: "+err.Error())
	}
	s.layout = layout
	if cfg.processes {
		s.startProcesses(ctx)
	}
	if cfg.cgroups && err == nil {
		s.startCgroups()
	}
	if cfg.journalRead != nil {
		s.startJournal()
	}
	return s, nil
}

// Subscribe returns a subscription to the events that pass f, holding at
// most buffer events for its reader (DefaultBuffer when 0).
func (s *Stream) Subscribe(f Filter, buffer int) *Subscription {
	sub := newSubscription(f, buffer)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		sub.Close()
		return sub
	}
	for i := range s.warnings {
		sub.offer(&s.warnings[i])
	}
	s.subs = append(s.subs, sub)
	return sub
}

// Sources says which sources run and how.
func (s *Stream) Sources() []SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SourceStatus(nil), s.sources...)
}

// Close stops every source and closes every subscription; it waits until
// every goroutine the stream started has returned and every file and BPF
// object it opened is closed.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	closers := s.closers
	s.mu.Unlock()
	for _, c := range closers {
		c()
	}
	s.wg.Wait()
	s.mu.Lock()
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for _, sub := range subs {
		sub.Close()
	}
	return nil
}

// publish numbers events and offers them to every subscriber.
func (s *Stream) publish(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for i := range evs {
		ev := &evs[i]
		s.seq++
		ev.Seq = s.seq
		if ev.Time.IsZero() {
			ev.Time = time.Now()
		}
		if ev.Container == "" && s.cfg.namer != nil {
			ev.Container = s.containerOf(ev)
		}
		live := s.subs[:0]
		for _, sub := range s.subs {
			if sub.offer(ev) {
				live = append(live, sub)
			}
		}
		s.subs = live
	}
}

// containerOf names the container of an event's cgroup, or of any of its
// process's cgroups.
func (s *Stream) containerOf(ev *Event) string {
	if ev.Cgroup != "" {
		if n := s.cfg.namer(ev.Cgroup); n != "" {
			return n
		}
	}
	for _, pc := range ev.procCgroups {
		if n := s.cfg.namer(pc.Path); n != "" {
			return n
		}
	}
	return ""
}

// warn records a source that does not run and tells every subscriber.
func (s *Stream) warn(source, detail string) {
	ev := Event{Time: time.Now(), Kind: Warning, Source: SourceStream, Detail: source + ": " + detail}
	s.setSource(source, false, detail)
	s.mu.Lock()
	s.warnings = append(s.warnings, ev)
	s.mu.Unlock()
	s.publish(ev)
}

// setSource records a source's status.
func (s *Stream) setSource(name string, running bool, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.sources {
		if s.sources[i].Name == name {
			s.sources[i] = SourceStatus{name, running, detail}
			return
		}
	}
	s.sources = append(s.sources, SourceStatus{name, running, detail})
}

// onClose registers a function Close calls before waiting for the
// goroutines (to interrupt blocking reads).
func (s *Stream) onClose(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closers = append(s.closers, f)
}

// inotify returns the stream's inotify instance, started on first use.
func (s *Stream) inotify() (*inotify, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.in != nil {
		return s.in, nil
	}
	in, err := newInotify()
	if err != nil {
		return nil, err
	}
	s.in = in
	s.closers = append(s.closers, in.close)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		in.run()
	}()
	return in, nil
}

// pokeFreezer makes the v1 freezer poller look now.
func (s *Stream) pokeFreezer() {
	s.mu.Lock()
	poke := s.freezerPoke
	s.mu.Unlock()
	if poke != nil {
		select {
		case poke <- struct{}{}:
		default:
		}
	}
}

// goSource runs f in a goroutine Close waits for.
func (s *Stream) goSource(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}
