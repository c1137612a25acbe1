package events

import (
	"fmt"
	"sync"
	"time"
)

// DefaultBuffer is how many events a subscription holds for its reader
// unless told otherwise.
const DefaultBuffer = 4096

// chanBuffer is the capacity of a subscription's channel: the events
// published together reach a reader in one wake-up, not one each. A
// subscription holds at most its buffer plus this plus one.
const chanBuffer = 64

// Subscription receives the stream's events that pass its filter,
// through a bounded buffer. A reader that falls behind loses events, never
// slows the stream: once the buffer is full, further events are counted
// and dropped, and the reader gets one Lost event with the count in
// their place before the next event that fits.
type Subscription struct {
	filter Filter
	c      chan Event

	mu     sync.Mutex
	buf    []Event // ring: head is the next to read
	head   int
	n      int
	lost   int64 // dropped since the last Lost event was queued
	total  int64 // dropped in all
	closed bool
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

func newSubscription(f Filter, size int) *Subscription {
	return newSubscriptionChan(f, size, chanBuffer)
}

// newSubscriptionChan is newSubscription with the channel's capacity.
func newSubscriptionChan(f Filter, size, chanCap int) *Subscription {
	if size <= 0 {
		size = DefaultBuffer
	}
	// One slot more than asked, so there is always room for the Lost
	// event that stands for what did not fit.
	s := &Subscription{
		filter: f,
		c:      make(chan Event, chanCap),
		buf:    make([]Event, size+1),
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go s.pump()
	return s
}

// Events returns the channel the events arrive on, in order. It is
// closed when the subscription or the stream is closed.
func (s *Subscription) Events() <-chan Event { return s.c }

// Dropped returns how many events this subscription has lost in all.
func (s *Subscription) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Close ends the subscription: the events channel is closed and buffered
// events are discarded. It is safe to call more than once.
func (s *Subscription) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
	s.mu.Unlock()
	<-s.done
}

// offer queues ev without blocking; it reports false when the
// subscription is closed.
func (s *Subscription) offer(ev *Event) bool {
	if !s.filter.Match(ev) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	size := len(s.buf) - 1
	switch {
	case s.n >= size:
		s.lost++
		s.total++
	case s.lost > 0:
		// Room again: the Lost event first, where the loss happened
		// (the spare slot makes room for both).
		s.push(s.lostEvent(ev.Time))
		s.push(*ev)
	default:
		s.push(*ev)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

func (s *Subscription) push(ev Event) {
	s.buf[(s.head+s.n)%len(s.buf)] = ev
	s.n++
}

func (s *Subscription) lostEvent(t time.Time) Event {
	ev := Event{Time: t, Kind: Lost, Source: SourceStream, Count: s.lost,
		Detail: fmt.Sprintf("lost %d events: this reader did not keep up; rescan for the current state", s.lost)}
	s.lost = 0
	return ev
}

// next takes the next event to deliver: a queued one, else the Lost
// event for drops since the buffer emptied.
func (s *Subscription) next() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n > 0 {
		ev := s.buf[s.head]
		s.buf[s.head] = Event{}
		s.head = (s.head + 1) % len(s.buf)
		s.n--
		return ev, true
	}
	if s.lost > 0 {
		return s.lostEvent(time.Now()), true
	}
	return Event{}, false
}

// pump moves events from the ring to the channel.
func (s *Subscription) pump() {
	defer close(s.done)
	defer close(s.c)
	for {
		ev, ok := s.next()
		if !ok {
			select {
			case <-s.wake:
				continue
			case <-s.stop:
				return
			}
		}
		select {
		case s.c <- ev:
		case <-s.stop:
			return
		}
	}
}
