package events

import (
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// offerN offers events numbered from..to (their Seq) to sub.
func offerN(sub *Subscription, from, to int) {
	for i := from; i <= to; i++ {
		sub.offer(&Event{Seq: uint64(i), Kind: Fork, PID: i})
	}
}

// readAll reads from sub until nothing comes for a while.
func readAll(t *testing.T, sub *Subscription) []Event {
	t.Helper()
	var out []Event
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-time.After(200 * time.Millisecond):
			return out
		}
	}
}

func TestSubscriptionKeepsOrder(t *testing.T) {
	defer goleak.VerifyNone(t)
	sub := newSubscription(Filter{}, 16)
	defer sub.Close()
	offerN(sub, 1, 10)
	got := readAll(t, sub)
	if len(got) != 10 {
		t.Fatalf("got %d events, want 10", len(got))
	}
	for i, ev := range got {
		if ev.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d, want %d", i, ev.Seq, i+1)
		}
	}
}

// A reader that does not keep up gets what fit, then one Lost event for
// the rest, never a backlog beyond its buffer.
func TestSubscriptionDropsWithALostEvent(t *testing.T) {
	defer goleak.VerifyNone(t)
	sub := newSubscriptionChan(Filter{}, 4, 0)
	defer sub.Close()
	offerN(sub, 1, 1000)
	got := readAll(t, sub)
	if len(got) < 2 {
		t.Fatalf("got %v, want some events and a Lost event", got)
	}
	last := got[len(got)-1]
	kept := got[:len(got)-1]
	// The pump may hold one event besides the four buffered.
	if len(kept) < 4 || len(kept) > 5 {
		t.Errorf("kept %d events, want the 4 buffered (+1 in flight)", len(kept))
	}
	for i, ev := range kept {
		if ev.Kind != Fork || ev.Seq != uint64(i+1) {
			t.Errorf("event %d: %s seq %d, want fork seq %d", i, ev.Kind, ev.Seq, i+1)
		}
	}
	if last.Kind != Lost || last.Count != int64(1000-len(kept)) {
		t.Errorf("last event %s count %d, want lost count %d", last.Kind, last.Count, 1000-len(kept))
	}
	if sub.Dropped() != last.Count {
		t.Errorf("Dropped() = %d, want %d", sub.Dropped(), last.Count)
	}
	// Room again: new events come in order with nothing lost in between.
	offerN(sub, 1001, 1002)
	got = readAll(t, sub)
	if len(got) != 2 || got[0].Seq != 1001 || got[1].Seq != 1002 {
		t.Errorf("after the loss got %v, want seq 1001, 1002", got)
	}
}

// When the loss happened before events that did fit, the Lost event
// stands where the loss was.
func TestSubscriptionLostEventInPlace(t *testing.T) {
	defer goleak.VerifyNone(t)
	sub := newSubscriptionChan(Filter{}, 4, 0)
	defer sub.Close()
	offerN(sub, 1, 4)
	// Let the pump take one, so the ring state is known: 3 queued.
	deadline := time.Now().Add(5 * time.Second)
	for {
		sub.mu.Lock()
		n := sub.n
		sub.mu.Unlock()
		if n == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	offerN(sub, 5, 7) // 5 fits, 6 and 7 are dropped
	first := <-sub.Events()
	second := <-sub.Events()
	offerN(sub, 8, 8) // room: the Lost event, then 8
	got := append([]Event{first, second}, readAll(t, sub)...)
	var kinds []string
	for _, ev := range got {
		kinds = append(kinds, fmt.Sprintf("%s:%d:%d", ev.Kind, ev.Seq, ev.Count))
	}
	want := []string{"fork:1:0", "fork:2:0", "fork:3:0", "fork:4:0", "fork:5:0", "lost:0:2", "fork:8:0"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", kinds, want)
	}
}

func TestSubscriptionBoundedUnderFlood(t *testing.T) {
	defer goleak.VerifyNone(t)
	sub := newSubscription(Filter{}, 64)
	defer sub.Close()
	for i := range 200000 {
		sub.offer(&Event{Seq: uint64(i), Kind: Exec, Args: []string{"a", "b"}})
		if i%10000 == 0 {
			sub.mu.Lock()
			n, size := sub.n, len(sub.buf)
			sub.mu.Unlock()
			if n > size {
				t.Fatalf("ring holds %d events, more than its %d slots", n, size)
			}
		}
	}
	if sub.Dropped() < 200000-66-chanBuffer {
		t.Errorf("dropped %d of 200000 with nobody reading, want all but the buffer", sub.Dropped())
	}
}

func TestSubscriptionClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	sub := newSubscription(Filter{}, 4)
	offerN(sub, 1, 3)
	sub.Close()
	sub.Close()
	for range sub.Events() {
	}
	if sub.offer(&Event{Kind: Fork}) {
		t.Error("offer to a closed subscription reported it open")
	}
}

func TestSubscriptionFilter(t *testing.T) {
	defer goleak.VerifyNone(t)
	sub := newSubscription(Filter{Kinds: []Kind{Exit}}, 8)
	defer sub.Close()
	sub.offer(&Event{Kind: Fork})
	sub.offer(&Event{Kind: Exit, PID: 3})
	sub.offer(&Event{Kind: Warning})
	got := readAll(t, sub)
	if len(got) != 2 || got[0].Kind != Exit || got[1].Kind != Warning {
		t.Errorf("got %v, want the exit and the warning", got)
	}
}
