package inspect

import (
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestParseIDMap(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []IDMapRange
		wantErr bool
	}{
		{"initial", "         0          0 4294967295\n", []IDMapRange{{0, 0, 4294967295}}, false},
		{"root is 1000", "         0       1000          1\n", []IDMapRange{{0, 1000, 1}}, false},
		{"two ranges", "0 1000 1\n1 100000 65536\n", []IDMapRange{{0, 1000, 1}, {1, 100000, 65536}}, false},
		{"not written yet", "", nil, false},
		{"two numbers", "0 1000\n", nil, true},
		{"negative", "0 -1 1\n", nil, true},
		{"zero count", "0 0 0\n", nil, true},
		{"beyond 32 bits", "0 4294967296 1\n", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseIDMap([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIDMapSentence(t *testing.T) {
	tests := []struct {
		name string
		m    []IDMapRange
		want string
	}{
		{"root inside is a user outside", []IDMapRange{{0, 1000, 1}}, "uid 0 inside is uid 1000 on the host"},
		{"a range", []IDMapRange{{0, 100000, 65536}}, "uids 0-65535 inside are uids 100000-165535 on the host"},
		{"identity", []IDMapRange{fullIDMap}, "every uid inside is the same uid on the host"},
		{"empty", nil, "no uid_map is written yet: no uid inside stands for one on the host (unmapped IDs show as 65534)"},
		{"many", []IDMapRange{{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 4, 1}, {4, 5, 1}},
			"uid 0 inside is uid 1 on the host, uid 1 inside is uid 2 on the host, uid 2 inside is uid 3 on the host, and 2 more ranges"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IDMapSentence("uid", tc.m, "on the host"); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestComposeToParent(t *testing.T) {
	tests := []struct {
		name          string
		child, parent []IDMapRange
		want          []IDMapRange
	}{
		{"root of root", []IDMapRange{{0, 1000, 1}}, []IDMapRange{{0, 1000, 1}}, []IDMapRange{{0, 0, 1}}},
		{"subrange", []IDMapRange{{0, 100010, 10}}, []IDMapRange{{0, 100000, 65536}}, []IDMapRange{{0, 10, 10}}},
		{"crosses two parent ranges", []IDMapRange{{0, 5, 10}}, []IDMapRange{{100, 0, 8}, {200, 8, 8}}, []IDMapRange{{0, 105, 3}, {3, 200, 7}}},
		{"unmapped in parent", []IDMapRange{{0, 7, 1}}, []IDMapRange{{0, 1000, 1}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ComposeToParent(tc.child, tc.parent)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTimensOffsets(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		mono, boot time.Duration
		wantErr    bool
	}{
		{"zero", "monotonic           0         0\nboottime            0         0\n", 0, 0, false},
		{"a day ahead", "monotonic 3600 0\nboottime 86400 500\n", time.Hour, 24*time.Hour + 500, false},
		{"behind, by number", "1 -10 0\n7 -1 999999999\n", -10 * time.Second, -time.Second + 999999999, false},
		{"bad clock", "realtime 1 0\n", 0, 0, true},
		{"bad nanoseconds", "monotonic 1 1000000000\n", 0, 0, true},
		{"too far", "monotonic 9223372036854775807 0\n", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTimensOffsets([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (got.MonotonicOffset != tc.mono || got.BoottimeOffset != tc.boot) {
				t.Errorf("offsets %v %v, want %v %v", got.MonotonicOffset, got.BoottimeOffset, tc.mono, tc.boot)
			}
		})
	}
	got, _ := ParseTimensOffsets([]byte("monotonic 0 0\nboottime 86400 0\n"))
	if want := "monotonic clock as the host's; boot-time clock (uptime) 24h0m0s ahead of the host's"; got.Summary != want {
		t.Errorf("summary %q, want %q", got.Summary, want)
	}
}

func TestParseSysVIPC(t *testing.T) {
	shm := "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n" +
		"1234567890          0   644                  4096   812     0      0     0     0     0     0          0          0 1700000000                     0                     0\n" +
		"         0          1   600                 65536   813     0      0     0     0     0     0          0          0 1700000000                     0                     0\n"
	tests := []struct {
		name      string
		in, col   string
		count     int
		total     int64
		wantError bool
	}{
		{"two segments", shm, "size", 2, 69632, false},
		{"header only", "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n", "", 0, 0, false},
		{"no such column", shm, "qnum", 0, 0, true},
		{"empty", "", "", 0, 0, true},
		{"no header", "1 2 3\n", "", 0, 0, true},
		{"short line", "key id size\n1 2\n", "size", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, total, err := ParseSysVIPC([]byte(tc.in), tc.col)
			if (err != nil) != tc.wantError {
				t.Fatalf("err = %v, want error %v", err, tc.wantError)
			}
			if n != tc.count || total != tc.total {
				t.Errorf("got %d, %d; want %d, %d", n, total, tc.count, tc.total)
			}
		})
	}
}

func TestCgroupNSRootOf(t *testing.T) {
	tests := []struct {
		name, inside, outside, want string
		ok                          bool
	}{
		{"at the root", "/", "/docker/abc", "/docker/abc", true},
		{"below the root", "/sub/leaf", "/docker/abc/sub/leaf", "/docker/abc", true},
		{"the host's", "/user.slice", "/user.slice", "/", true},
		{"outside the root", "/../other", "/other", "", false},
		{"disagree", "/x", "/docker/y", "", false},
		{"relative", "x", "/x", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := CgroupNSRootOf(tc.inside, tc.outside)
			if got != tc.want || ok != tc.ok {
				t.Errorf("CgroupNSRootOf(%q, %q) = %q, %v; want %q, %v", tc.inside, tc.outside, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestMountEntriesAndPropagation(t *testing.T) {
	data := []byte("22 27 0:21 / /proc rw,relatime shared:5 - proc proc rw\n" +
		"27 1 254:0 / / rw,relatime master:1 - ext4 /dev/vda rw\n" +
		"30 27 0:30 / /mnt/with\\040space rw shared:7 master:2 - tmpfs tmp rw\n" +
		"31 27 0:31 / /private rw - tmpfs t rw\n" +
		"32 27 0:32 / /u rw unbindable - tmpfs u rw\n")
	got, err := ParseMountEntries(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []MountEntry{
		{MountPoint: "/proc", FSType: "proc", Source: "proc", Root: "/", Propagation: "shared:5"},
		{MountPoint: "/", FSType: "ext4", Source: "/dev/vda", Root: "/", Propagation: "master:1"},
		{MountPoint: "/mnt/with space", FSType: "tmpfs", Source: "tmp", Root: "/", Propagation: "shared:7 master:2"},
		{MountPoint: "/private", FSType: "tmpfs", Source: "t", Root: "/", Propagation: "private"},
		{MountPoint: "/u", FSType: "tmpfs", Source: "u", Root: "/", Propagation: "unbindable"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
	p := CountPropagation(got)
	if diff := cmp.Diff(MountPropagation{Shared: 1, Slave: 1, SharedSlave: 1, Private: 1, Unbindable: 1, PeerGroups: []int{5, 7}}, p); diff != "" {
		t.Errorf("propagation (-want +got):\n%s", diff)
	}
	host := []MountEntry{got[0], got[1], {MountPoint: "/home", FSType: "ext4", Source: "/dev/vdb", Root: "/"}}
	added, removed := DiffMounts(got, host)
	if len(added) != 3 || added[0].MountPoint != "/mnt/with space" || len(removed) != 1 || removed[0].MountPoint != "/home" {
		t.Errorf("DiffMounts: added %+v, removed %+v", added, removed)
	}
}

func TestBuildNetContent(t *testing.T) {
	mac, _ := net.ParseMAC("02:00:00:00:00:01")
	lo := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: 1, Name: "lo", MTU: 65536, Flags: net.FlagUp | net.FlagLoopback, OperState: netlink.OperUnknown, NetNsID: -1}}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Index: 2, Name: "br0", MTU: 1500, Flags: net.FlagUp, OperState: netlink.OperUp, HardwareAddr: mac, NetNsID: -1}}
	v0 := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Index: 3, Name: "v0", MTU: 1500, MasterIndex: 2, ParentIndex: 7, NetNsID: 4, OperState: netlink.OperLowerLayerDown}}
	v1 := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Index: 4, Name: "v1", MTU: 1500, ParentIndex: 5, NetNsID: -1, OperState: netlink.OperDown}}
	v2 := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Index: 5, Name: "v2", MTU: 1500, ParentIndex: 4, NetNsID: -1, OperState: netlink.OperDown}}
	_, n24, _ := net.ParseCIDR("10.0.0.1/24")
	n24.IP = net.ParseIP("10.0.0.1").To4()
	_, any4, _ := net.ParseCIDR("0.0.0.0/0")
	_, sub, _ := net.ParseCIDR("10.0.0.0/24")
	addrs := []netlink.Addr{{IPNet: n24, LinkIndex: 2}}
	routes := []netlink.Route{
		{Family: unix.AF_INET, Dst: any4, Gw: net.ParseIP("10.0.0.254"), LinkIndex: 2, Table: unix.RT_TABLE_MAIN},
		{Family: unix.AF_INET, Dst: sub, LinkIndex: 2, Table: unix.RT_TABLE_MAIN},
		{Family: unix.AF_INET6, Dst: nil, LinkIndex: 2, Priority: 1024, Table: unix.RT_TABLE_MAIN},
	}
	got := BuildNetContent([]netlink.Link{v2, lo, br, v0, v1}, addrs, routes)
	want := &NetContent{
		Interfaces: []NetInterface{
			{Index: 1, Name: "lo", Kind: "device", State: "unknown", AdminUp: true, MTU: 65536},
			{Index: 2, Name: "br0", Kind: "bridge", State: "up", AdminUp: true, MTU: 1500, MAC: "02:00:00:00:00:01", Addresses: []string{"10.0.0.1/24"}, Ports: []string{"v0"}},
			{Index: 3, Name: "v0", Kind: "veth", State: "lowerlayerdown", MTU: 1500, Master: "br0", Peer: &VethPeer{Index: 7, NetNSID: 4}},
			{Index: 4, Name: "v1", Kind: "veth", State: "down", MTU: 1500, Peer: &VethPeer{Index: 5, Name: "v2", NetNSID: -1, ResolvedBy: "same namespace"}},
			{Index: 5, Name: "v2", Kind: "veth", State: "down", MTU: 1500, Peer: &VethPeer{Index: 4, Name: "v1", NetNSID: -1, ResolvedBy: "same namespace"}},
		},
		DefaultRoutes: []NetRoute{{Family: "inet", Gateway: "10.0.0.254", Dev: "br0"}, {Family: "inet6", Dev: "br0", Metric: 1024}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
