package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/inspect"
)

// withContainer returns fixture name with a container "web" whose init
// is PID 25014, in the throttled /nscope-run-web-25004 cgroups of the
// hybrid fixture host.
func withContainer(t *testing.T, name string) *inspect.Snapshot {
	t.Helper()
	snap := loadFixture(t, name)
	var buf bytes.Buffer
	if err := snap.WriteJSONCompact(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var cgroups []any
	for _, h := range []int{1, 2, 4, 8} {
		cgroups = append(cgroups, map[string]any{"hierarchy": h, "path": "/nscope-run-web-25004"})
	}
	doc["containers"] = []any{map[string]any{"runtime": "nscope", "id": "web25004", "name": "web", "state": "running", "init_pid": 25014, "cgroups": cgroups}}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := inspect.Load(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// seqSource returns its snapshots in turn, then the last one again.
type seqSource struct {
	mu    sync.Mutex
	snaps []*inspect.Snapshot
}

func (s *seqSource) Scan(context.Context) (*inspect.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.snaps[0]
	if len(s.snaps) > 1 {
		s.snaps = s.snaps[1:]
	}
	return snap, nil
}

func (*seqSource) Refresher(*inspect.Snapshot) (*inspect.Refresher, error) { return nil, nil }

// hangSource never answers (until the test ends).
type hangSource struct{ done <-chan struct{} }

func (h hangSource) Scan(context.Context) (*inspect.Snapshot, error) {
	<-h.done
	return nil, errors.New("ended")
}

func (hangSource) Refresher(*inspect.Snapshot) (*inspect.Refresher, error) { return nil, nil }

// fleetDriver runs a FleetModel's commands as Bubble Tea would, in
// goroutines, and feeds their messages back.
type fleetDriver struct {
	t    *testing.T
	f    *FleetModel
	msgs chan tea.Msg
}

func newFleetDriver(t *testing.T, opts FleetOptions) *fleetDriver {
	d := &fleetDriver{t: t, f: NewFleet(opts), msgs: make(chan tea.Msg, 64)}
	d.f.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	d.run(d.f.Init())
	t.Cleanup(d.f.quit)
	return d
}

func (d *fleetDriver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			d.msgs <- msg
		}
	}()
}

func (d *fleetDriver) screen() string { return ansi.Strip(d.f.View().Content) }

func (d *fleetDriver) send(msg tea.Msg) {
	_, cmd := d.f.Update(msg)
	d.run(cmd)
}

// until delivers messages until cond holds for the screen.
func (d *fleetDriver) until(what string, cond func(string) bool) string {
	d.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if s := d.screen(); cond(s) {
			return s
		}
		select {
		case msg := <-d.msgs:
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, c := range b {
					d.run(c)
				}
				continue
			}
			d.send(msg)
		case <-deadline:
			d.t.Fatalf("waiting for %s; the screen is:\n%s", what, d.screen())
		}
	}
}

// lineOf returns the screen line that starts with the host's name.
func lineOf(screen, host string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), host+" ") {
			return l
		}
	}
	return ""
}

// TestFleetSlowHostsDoNotBlock: two hosts that never answer take both
// scan slots; after the timeout the slots are free, the third host is
// scanned and shown, and the two are shown as not answering. The second
// round shows the rates: the most throttled cgroup and the container's
// CPU and throttling.
func TestFleetSlowHostsDoNotBlock(t *testing.T) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	db1 := &seqSource{snaps: []*inspect.Snapshot{withContainer(t, "host-1"), withContainer(t, "host-2")}}
	d := newFleetDriver(t, FleetOptions{
		Hosts: []FleetHost{
			{Name: "hung1", Source: hangSource{done}},
			{Name: "hung2", Source: hangSource{done}},
			{Name: "db1", Source: db1},
		},
		Parallel: 2, Timeout: 150 * time.Millisecond, Interval: 50 * time.Millisecond,
	})
	s := d.until("db1 scanned despite two hung hosts, and those shown", func(s string) bool {
		return strings.Contains(lineOf(s, "db1"), " ok ") && strings.Contains(lineOf(s, "hung1"), "unreachable") && strings.Contains(lineOf(s, "hung2"), "unreachable")
	})
	for _, h := range []string{"hung1", "hung2"} {
		if l := lineOf(s, h); !strings.Contains(l, "unreachable") || !strings.Contains(l, "no answer within 150ms") {
			t.Errorf("%s's row is %q, want it unreachable with no answer within 150ms", h, l)
		}
	}
	if l := lineOf(s, "db1"); !strings.Contains(l, "cgroup hybrid") || !strings.Contains(l, "88") {
		t.Errorf("db1's row %q lacks the cgroup mode or the process count", l)
	}
	s = d.until("the second round's rates", func(s string) bool { return strings.Contains(lineOf(s, "db1"), "/nscope-run-web-25004") })
	if !strings.Contains(s, "web") || !strings.Contains(s, "nscope") {
		t.Errorf("the container list lacks web:\n%s", s)
	}
}

// TestFleetOpensAHost: enter opens the host's own view; q there comes
// back to the fleet; s sorts the containers.
func TestFleetOpensAHost(t *testing.T) {
	snap := withContainer(t, "host-2")
	opened := 0
	d := newFleetDriver(t, FleetOptions{
		Hosts: []FleetHost{{Name: "db1", Source: &seqSource{snaps: []*inspect.Snapshot{snap}}, Open: func() (Options, error) {
			opened++
			return Options{Source: &seqSource{snaps: []*inspect.Snapshot{snap}}}, nil
		}}},
		Interval: time.Hour,
	})
	d.until("db1 scanned", func(s string) bool { return strings.Contains(lineOf(s, "db1"), " ok ") })
	d.send(press("s"))
	if s := d.screen(); !strings.Contains(s, "sorted by throttled") {
		t.Errorf("s did not sort by throttling:\n%s", s)
	}
	d.send(press("tab"))
	d.send(press("enter"))
	s := d.until("the host's view with the container's init selected", func(s string) bool { return strings.Contains(s, "─ Process 25014") })
	if opened != 1 || !strings.Contains(s, "1 Namespaces") {
		t.Errorf("opened %d times; screen:\n%s", opened, s)
	}
	d.send(press("q"))
	d.until("the fleet again", func(s string) bool { return strings.Contains(s, "nscope fleet") })
}
