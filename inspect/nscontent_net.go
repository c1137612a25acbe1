package inspect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// NetContent is what a network namespace holds: its interfaces and the
// default routes of its main table. See network_namespaces(7), veth(4).
type NetContent struct {
	Interfaces    []NetInterface `json:"interfaces"`
	DefaultRoutes []NetRoute     `json:"default_routes,omitempty"`
}

// NetInterface is one network device, as "ip -d addr" shows it.
type NetInterface struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Kind is the link type: "device" (a physical or loopback device),
	// "veth", "bridge", "macvlan", "vxlan", "dummy", ...
	Kind string `json:"kind"`
	// State is the operational state (IFLA_OPERSTATE) as "ip link" names
	// it, lower-cased: "up", "down", "unknown" (loopback and some virtual
	// devices), "lowerlayerdown" (a veth whose peer is down), ...
	State string `json:"state"`
	// AdminUp is the IFF_UP flag ("ip link set X up").
	AdminUp bool   `json:"admin_up"`
	MTU     int    `json:"mtu"`
	MAC     string `json:"mac,omitempty"`
	// Addresses are "10.0.0.1/24" and "fe80::1/64" forms.
	Addresses []string `json:"addresses,omitempty"`
	// Master is the bridge (or bond) this device is a port of.
	Master string `json:"master,omitempty"`
	// Ports are the devices enslaved to this bridge or bond.
	Ports []string `json:"ports,omitempty"`
	// Peer is the other end of a veth pair.
	Peer *VethPeer `json:"peer,omitempty"`
}

// VethPeer is the other end of a veth pair and the namespace it is in.
type VethPeer struct {
	// Index is its ifindex in its own namespace (IFLA_LINK).
	Index int `json:"index"`
	// Name is its name there, when the namespace could be read.
	Name string `json:"name,omitempty"`
	// NetNS is the network namespace it is in; zero when not found.
	NetNS NSID `json:"netns,omitzero"`
	// NetNSID is the number this namespace gave the peer's namespace
	// (IFLA_LINK_NETNSID; see "ip netns list-id"), -1 when the peer is
	// in this same namespace.
	NetNSID int `json:"netnsid"`
	// ResolvedBy says how NetNS was found: "same namespace", "netnsid"
	// (RTM_GETNSID on every known namespace), "" when it was not.
	ResolvedBy string `json:"resolved_by,omitempty"`
}

// NetRoute is one default route.
type NetRoute struct {
	// Family is "inet" or "inet6".
	Family  string `json:"family"`
	Gateway string `json:"gateway,omitempty"`
	Dev     string `json:"dev,omitempty"`
	Metric  int    `json:"metric,omitempty"`
}

// netDumpTries is how often an interrupted netlink dump (the namespace
// changed during it) is retried.
const netDumpTries = 3

// readNetContent opens a route netlink socket inside the namespace (made
// on a throw-away thread that joined it; the socket stays in that
// namespace) and dumps links, addresses and routes through it, then finds
// the namespace of every veth peer.
func (s *Scanner) readNetContent(ctx context.Context, snap *Snapshot, r *nsReach) (*NetContent, error) {
	if r.fd < 0 {
		return nil, ErrNotLive
	}
	h, err := netHandleIn(r.fd)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var links []netlink.Link
	var addrs []netlink.Addr
	var routes []netlink.Route
	for try := 0; ; try++ {
		links, err = h.LinkList()
		if err == nil {
			addrs, err = h.AddrList(nil, netlink.FAMILY_ALL)
		}
		if err == nil {
			routes, err = h.RouteList(nil, netlink.FAMILY_ALL)
		}
		if err == nil || !errors.Is(err, netlink.ErrDumpInterrupted) || try == netDumpTries-1 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("netlink dump: %w", err)
	}
	c := BuildNetContent(links, addrs, routes)
	s.resolvePeers(ctx, snap, r, h, c)
	return c, nil
}

// netHandleIn returns a route netlink handle whose socket lives in the
// network namespace open at fd.
func netHandleIn(fd int) (*netlink.Handle, error) {
	var h *netlink.Handle
	err := joinedThread(fd, NetNS, func() error {
		var err error
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("netlink socket: %w", err)
		}
		return nil
	})
	return h, err
}

// BuildNetContent turns a namespace's netlink dumps into its content:
// interfaces by index with their addresses, bridge ports and masters,
// veth peers (index and netnsid only; the namespace is found later), and
// the default routes.
func BuildNetContent(links []netlink.Link, addrs []netlink.Addr, routes []netlink.Route) *NetContent {
	c := &NetContent{Interfaces: make([]NetInterface, 0, len(links))}
	names := make(map[int]string, len(links))
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	byIndex := make(map[int]int, len(links))
	for _, l := range links {
		a := l.Attrs()
		ifc := NetInterface{
			Index: a.Index, Name: a.Name, Kind: l.Type(), State: operState(a.OperState),
			AdminUp: a.Flags&net.FlagUp != 0, MTU: a.MTU, Master: names[a.MasterIndex],
		}
		if len(a.HardwareAddr) > 0 {
			ifc.MAC = a.HardwareAddr.String()
		}
		if ifc.Kind == "veth" && a.ParentIndex > 0 {
			ifc.Peer = &VethPeer{Index: a.ParentIndex, NetNSID: a.NetNsID}
			if a.NetNsID < 0 {
				ifc.Peer.Name, ifc.Peer.ResolvedBy = names[a.ParentIndex], "same namespace"
			}
		}
		byIndex[a.Index] = len(c.Interfaces)
		c.Interfaces = append(c.Interfaces, ifc)
	}
	for _, l := range links {
		if m := l.Attrs().MasterIndex; m > 0 {
			if i, ok := byIndex[m]; ok {
				c.Interfaces[i].Ports = append(c.Interfaces[i].Ports, l.Attrs().Name)
			}
		}
	}
	for _, a := range addrs {
		if i, ok := byIndex[a.LinkIndex]; ok && a.IPNet != nil {
			c.Interfaces[i].Addresses = append(c.Interfaces[i].Addresses, a.IPNet.String())
		}
	}
	sort.Slice(c.Interfaces, func(i, j int) bool { return c.Interfaces[i].Index < c.Interfaces[j].Index })
	for _, r := range routes {
		if !isDefaultRoute(r) {
			continue
		}
		fam := "inet"
		if r.Family == unix.AF_INET6 {
			fam = "inet6"
		}
		add := func(gw net.IP, dev int) {
			nr := NetRoute{Family: fam, Dev: names[dev], Metric: r.Priority}
			if gw != nil {
				nr.Gateway = gw.String()
			}
			c.DefaultRoutes = append(c.DefaultRoutes, nr)
		}
		if len(r.MultiPath) > 0 {
			for _, nh := range r.MultiPath {
				add(nh.Gw, nh.LinkIndex)
			}
			continue
		}
		add(r.Gw, r.LinkIndex)
	}
	return c
}

// operStates are the names "ip link" gives the RFC 2863 operational
// states, lower-cased, by IFLA_OPERSTATE value.
var operStates = [...]string{"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"}

// operState names an operational state as "ip link" does, lower-cased.
func operState(s netlink.LinkOperState) string {
	if int(s) < len(operStates) {
		return operStates[s]
	}
	return "state " + strconv.Itoa(int(s))
}

// isDefaultRoute reports whether r is a default route of the main table.
func isDefaultRoute(r netlink.Route) bool {
	if r.Table != 0 && r.Table != unix.RT_TABLE_MAIN {
		return false
	}
	if r.Type != 0 && r.Type != unix.RTN_UNICAST {
		return false
	}
	if r.Dst == nil {
		return true
	}
	ones, _ := r.Dst.Mask.Size()
	return ones == 0
}
