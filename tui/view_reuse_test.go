package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect/events"
)

// A refresh tick, a clock tick and events that wait for a patch change
// nothing on screen: the last view is handed out again. A refresh's
// result, a mark that ends, a flash and a patch draw anew; so does a
// second View without a message between.
func TestViewReusedWhenNothingChanged(t *testing.T) {
	r := newLiveRigEvery(t, true, 10*time.Second)
	first := r.m.View().Content
	n := r.m.last.renders
	expect := func(what string, drawn bool) {
		t.Helper()
		v := r.m.View().Content
		if got := r.m.last.renders > n; got != drawn {
			t.Errorf("%s: drawn anew %v, want %v", what, got, drawn)
		}
		if !drawn && v != first {
			t.Errorf("%s: the reused view differs from the last drawn", what)
		}
		n, first = r.m.last.renders, v
	}

	// The tick starts a refresh: nothing to draw until it is in.
	cmd := r.sendMsg(tickMsg{gen: r.m.gen})
	expect("refresh tick", false)
	r.deliver(cmd)
	expect("refresh result", true)

	r.now = r.now.Add(500 * time.Millisecond)
	r.deliver(r.sendMsg(clockMsg{}))
	expect("clock tick, nothing to expire", false)

	r.m.View()
	expect("a second View without a message", true)

	// A process started: the patch shows it, with a mark that ends
	// after freshFor; the clock then draws without it.
	bash := r.host.snap.Process(412)
	r.host.procs[900] = newChild(bash, 900, "newproc", r.now)
	r.events(events.Event{Kind: events.Fork, PID: 900, PPID: 412})
	expect("patch", true)
	if !strings.Contains(first, "+ newproc") {
		t.Fatalf("the patched view has no fresh newproc:\n%s", first)
	}
	r.now = r.now.Add(freshFor + time.Second)
	r.deliver(r.sendMsg(clockMsg{}))
	expect("clock tick ending a mark", true)
	if strings.Contains(first, "+ newproc") {
		t.Errorf("the mark is still drawn after freshFor")
	}

	r.deliver(r.sendMsg(FlashMsg{Text: "hello"}))
	expect("flash", true)
	r.now = r.now.Add(flashFor + time.Second)
	r.deliver(r.sendMsg(clockMsg{}))
	expect("clock tick ending the flash", true)
}
