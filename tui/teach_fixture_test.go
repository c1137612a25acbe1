package tui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
)

// contentSource is a Source that also reads what namespaces hold, from a
// table: the small host's contents as the kernel would report them. It
// counts the reads per namespace.
type contentSource struct {
	snaps []*inspect.Snapshot
	mu    sync.Mutex
	reads map[inspect.NSID]int
}

func (s *contentSource) Scan(context.Context) (*inspect.Snapshot, error) {
	return s.snaps[len(s.snaps)-1], nil
}

func (s *contentSource) NamespaceContent(_ context.Context, snap *inspect.Snapshot, id inspect.NSID) (*inspect.NSContent, error) {
	s.mu.Lock()
	if s.reads == nil {
		s.reads = map[inspect.NSID]int{}
	}
	s.reads[id]++
	s.mu.Unlock()
	n := snap.Namespace(id)
	if n == nil {
		return nil, fmt.Errorf("namespace %s: %w", id, inspect.ErrNoSuchNamespace)
	}
	c, ok := smallContent()[id]
	if !ok {
		return nil, fmt.Errorf("%s namespace %s: %w", n.Type, id, inspect.ErrUnreachable)
	}
	c.ID, c.Type = id, n.Type
	return &c, nil
}

func (s *contentSource) readsOf(id inspect.NSID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[id]
}

// smallContent is what the small host's namespaces hold: rootless podman's
// user namespace maps root to alice (uid 1000), the web container's
// network namespace has a veth whose peer is in the host's, bridged to
// docker0; "blue" has a veth to nothing it can see.
func smallContent() map[inspect.NSID]inspect.NSContent {
	hostIfs := []inspect.NetInterface{
		{Index: 1, Name: "lo", Kind: "device", State: "unknown", AdminUp: true, MTU: 65536, Addresses: []string{"127.0.0.1/8", "::1/128"}},
		{Index: 2, Name: "eth0", Kind: "device", State: "up", AdminUp: true, MTU: 1500, MAC: "52:54:00:12:34:56", Addresses: []string{"192.168.1.10/24"}},
		{Index: 3, Name: "docker0", Kind: "bridge", State: "up", AdminUp: true, MTU: 1500, Addresses: []string{"172.17.0.1/16"}, Ports: []string{"veth9a3c1e7"}},
		{Index: 7, Name: "veth9a3c1e7", Kind: "veth", State: "up", AdminUp: true, MTU: 1500, Master: "docker0",
			Peer: &inspect.VethPeer{Index: 2, Name: "eth0", NetNS: webNet, NetNSID: 0, ResolvedBy: "netnsid"}},
	}
	return map[inspect.NSID]inspect.NSContent{
		podUser: {Via: "process 700", User: &inspect.UserContent{
			UIDMap:    []inspect.IDMapRange{{Inside: 0, Outside: 1000, Count: 1}, {Inside: 1, Outside: 100000, Count: 65536}},
			GIDMap:    []inspect.IDMapRange{{Inside: 0, Outside: 1000, Count: 1}, {Inside: 1, Outside: 100000, Count: 65536}},
			SetGroups: "allow",
			Summary:   "uid 0 inside is uid 1000 on the host, uids 1-65536 are 100000-165535; gid 0 inside is gid 1000 on the host, gids 1-65536 are 100000-165535",
		}},
		smNet: {Via: "process 1", Net: &inspect.NetContent{Interfaces: hostIfs,
			DefaultRoutes: []inspect.NetRoute{{Family: "inet", Gateway: "192.168.1.1", Dev: "eth0"}}}},
		webNet: {Via: "process 631", Net: &inspect.NetContent{
			Interfaces: []inspect.NetInterface{
				{Index: 1, Name: "lo", Kind: "device", State: "unknown", AdminUp: true, MTU: 65536, Addresses: []string{"127.0.0.1/8"}},
				{Index: 2, Name: "eth0", Kind: "veth", State: "up", AdminUp: true, MTU: 1500, Addresses: []string{"172.17.0.2/16"},
					Peer: &inspect.VethPeer{Index: 7, Name: "veth9a3c1e7", NetNS: smNet, NetNSID: 0, ResolvedBy: "netnsid"}},
			},
			DefaultRoutes: []inspect.NetRoute{{Family: "inet", Gateway: "172.17.0.1", Dev: "eth0"}},
		}},
		blueNet: {Via: "bind mount /run/netns/blue", Net: &inspect.NetContent{Interfaces: []inspect.NetInterface{
			{Index: 1, Name: "lo", Kind: "device", State: "down", MTU: 65536},
		}}},
		runUTS: {Via: "process 800", UTS: &inspect.UTSContent{Hostname: "demo", DomainName: "(none)"}},
		webMnt: {Via: "process 631", Mnt: &inspect.MntContent{
			Mounts: 21, Root: inspect.MountEntry{MountPoint: "/", FSType: "overlay", Source: "overlay", Root: "/", Propagation: "private"},
			Propagation:  inspect.MountPropagation{Private: 21},
			ComparedWith: smMnt,
			Added:        []inspect.MountEntry{{MountPoint: "/", FSType: "overlay", Source: "overlay", Root: "/", Propagation: "private"}},
			Removed:      []inspect.MountEntry{{MountPoint: "/boot", FSType: "ext4", Source: "/dev/sda1", Root: "/", Propagation: "shared:2"}},
			AddedCount:   14, RemovedCount: 30,
		}},
		webIPC: {Via: "process 631", IPC: &inspect.IPCContent{SharedMemory: 1, SharedMemoryBytes: 64 << 20, POSIXQueues: 0}},
		webCg: {Via: "process 631", Cgroup: &inspect.CgroupNSContent{Roots: []inspect.CgroupNSRoot{
			{Hierarchy: 0, Root: "/system.slice/docker-" + webID + ".scope", Inside: "/", Outside: "/system.slice/docker-" + webID + ".scope"},
		}}},
		smTime: {Via: "process 1", Time: &inspect.TimeContent{Summary: "the clocks run as the host's"}},
		podPID: {Via: "the snapshot", PID: &inspect.PIDContent{Level: 1, Processes: 1,
			Init: &inspect.PIDInit{PID: 700, Comm: "sleep", NSpid: []int{700, 1}}}},
		webPID: {Via: "the snapshot", PID: &inspect.PIDContent{Level: 1, Processes: 3,
			Init: &inspect.PIDInit{PID: 631, Comm: "nginx", NSpid: []int{631, 1}}}},
	}
}

// teachModel is liveModel with a Source that reads what namespaces hold.
func teachModel(t testing.TB, w, h int, opts Options) (*Model, *contentSource) {
	t.Helper()
	src := &contentSource{snaps: []*inspect.Snapshot{loadFixture(t, "small-1"), loadFixture(t, "small-2")}}
	last := src.snaps[len(src.snaps)-1]
	now := last.Time.Add(1500 * time.Millisecond)
	opts.Source = src
	opts.Now = func() time.Time { return now }
	m := New(opts)
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	m.Init()
	for _, s := range src.snaps {
		send(m, scanMsg{gen: m.gen, snap: s})
		send(m, tickMsg{gen: m.gen})
	}
	return m, src
}

// readContent runs the read the app asked for last (tests drop the
// commands Update returns): the selected namespace's content arrives as
// it would from the command.
func readContent(m *Model) {
	m.content.busy = false
	if cmd := m.loadContent(); cmd != nil {
		send(m, cmd())
	}
}

// teachKeys is keys followed by readContent, the way the app reads what
// the selected namespace holds after each key.
func teachKeys(m *Model, ks ...string) {
	for _, k := range ks {
		keys(m, k)
		readContent(m)
	}
}

// Refresher opens none: every scan of the fake is a full one.
func (s *contentSource) Refresher(*inspect.Snapshot) (*inspect.Refresher, error) { return nil, nil }
