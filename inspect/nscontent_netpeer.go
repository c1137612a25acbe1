package inspect

import (
	"context"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// resolvePeers finds the network namespace of every veth peer that is in
// another namespace. A veth reports its peer's namespace only as a number
// local to its own namespace (IFLA_LINK_NETNSID, allocated by the kernel
// when it first needs one). RTM_GETNSID with an nsfs fd asks a namespace
// which number it gave the namespace behind that fd; asking it for every
// network namespace of the snapshot maps the numbers to namespaces. The
// peer is then looked up by its ifindex in that namespace, and kept only
// when it is a veth whose own peer index points back. See
// rtnetlink(7) and ip-netns(8) ("ip netns list-id").
func (s *Scanner) resolvePeers(ctx context.Context, snap *Snapshot, r *nsReach, h *netlink.Handle, c *NetContent) {
	wanted := map[int]bool{}
	for _, ifc := range c.Interfaces {
		if ifc.Peer != nil && ifc.Peer.NetNSID >= 0 {
			wanted[ifc.Peer.NetNSID] = true
		}
	}
	if len(wanted) == 0 {
		return
	}
	// The number this namespace gave each namespace of the snapshot, for
	// those its veths name; their fds stay open for the name lookup.
	byNSID := map[int]NSID{}
	fds := map[NSID]int{}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for _, n := range snap.NamespacesOf(NetNS) {
		if len(byNSID) == len(wanted) || ctx.Err() != nil {
			break
		}
		if n.ID == r.id {
			continue
		}
		fd, _, err := s.openNS(snap, n, 0)
		if err != nil {
			continue
		}
		nsid, err := h.GetNetNsIdByFd(fd)
		if err != nil || !wanted[nsid] {
			unix.Close(fd)
			continue
		}
		byNSID[nsid] = n.ID
		fds[n.ID] = fd
	}
	handles := map[NSID]*netlink.Handle{}
	defer func() {
		for _, ph := range handles {
			ph.Close()
		}
	}()
	for i := range c.Interfaces {
		ifc := &c.Interfaces[i]
		if ifc.Peer == nil || ifc.Peer.NetNSID < 0 {
			continue
		}
		id, ok := byNSID[ifc.Peer.NetNSID]
		if !ok {
			continue
		}
		ifc.Peer.NetNS, ifc.Peer.ResolvedBy = id, "netnsid"
		ph, ok := handles[id]
		if !ok {
			var err error
			if ph, err = netHandleIn(fds[id]); err != nil {
				continue
			}
			handles[id] = ph
		}
		if l, err := ph.LinkByIndex(ifc.Peer.Index); err == nil && l.Type() == "veth" && l.Attrs().ParentIndex == ifc.Index {
			ifc.Peer.Name = l.Attrs().Name
		}
	}
}
