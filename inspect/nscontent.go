package inspect

import (
	"context"
	"errors"
	"fmt"
)

// NSContent is what one namespace holds, read from the kernel when asked
// for (see Scanner.NamespaceContent): the ID maps of a user namespace, the
// host name of a UTS namespace, the interfaces of a network namespace, and
// so on. Exactly the field of the namespace's type is set.
type NSContent struct {
	ID   NSID   `json:"id"`
	Type NSType `json:"type"`
	// Via says how the namespace was reached: "process 812" (a member),
	// "pid_for_children of process 812", "fd 5 of process 77",
	// "bind mount /run/x", "parent of pid 4026532301".
	Via    string           `json:"via"`
	User   *UserContent     `json:"user,omitempty"`
	UTS    *UTSContent      `json:"uts,omitempty"`
	Net    *NetContent      `json:"net,omitempty"`
	Mnt    *MntContent      `json:"mnt,omitempty"`
	IPC    *IPCContent      `json:"ipc,omitempty"`
	Cgroup *CgroupNSContent `json:"cgroup,omitempty"`
	Time   *TimeContent     `json:"time,omitempty"`
	PID    *PIDContent      `json:"pid,omitempty"`
}

// Errors NamespaceContent wraps, for callers that branch on them.
var (
	// ErrNoSuchNamespace: the ID is not in the snapshot.
	ErrNoSuchNamespace = errors.New("no such namespace in the snapshot")
	// ErrUnreachable: no process or holder leads into the namespace any
	// more (it is gone, or it has no process and the type can only be
	// read through one).
	ErrUnreachable = errors.New("namespace not reachable")
	// ErrNotLive: the scanner reads a fixture tree, not the running
	// kernel, so what needs the namespace itself (setns, netlink) cannot
	// be read.
	ErrNotLive = errors.New("not the live kernel")
)

// NamespaceContent reads what namespace id of snap holds, now (not at the
// snapshot's time): one namespace, through one of its member processes or,
// when it has none, through what holds it (an fd, a bind mount, a
// process's *_for_children link, a child namespace's NS_GET_PARENT). It
// does the I/O of one namespace (joining it from a throw-away OS thread
// for UTS, network, IPC and cgroup namespaces), so call it for a
// selection, never for every row of a refresh. See namespaces(7).
func (s *Scanner) NamespaceContent(ctx context.Context, snap *Snapshot, id NSID) (*NSContent, error) {
	n := snap.Namespace(id)
	if n == nil {
		return nil, fmt.Errorf("namespace %s: %w", id, ErrNoSuchNamespace)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &NSContent{ID: id, Type: n.Type}
	// pid and time namespaces are described from the snapshot and from the
	// processes that point at them; the rest need a way in.
	switch n.Type {
	case PIDNS:
		out.PID = pidContent(snap, n)
		out.Via = "the snapshot"
		return out, nil
	case TimeNS:
		t, via, err := s.readTimeContent(snap, n)
		if err != nil {
			return nil, fmt.Errorf("time namespace %s: %w", id, err)
		}
		out.Time, out.Via = t, via
		return out, nil
	}
	r, err := s.reach(snap, n)
	if err != nil {
		return nil, fmt.Errorf("%s namespace %s: %w", n.Type, id, err)
	}
	defer r.close()
	out.Via = r.via
	switch n.Type {
	case UserNS:
		out.User, err = s.readUserContent(snap, r)
	case UTSNS:
		out.UTS, err = s.readUTSContent(r)
	case NetNS:
		out.Net, err = s.readNetContent(ctx, snap, r)
	case MntNS:
		out.Mnt, err = s.readMntContent(snap, r)
	case IPCNS:
		out.IPC, err = s.readIPCContent(r)
	case CgroupNS:
		out.Cgroup, err = s.readCgroupNSContent(snap, r)
	}
	if err != nil {
		return nil, fmt.Errorf("%s namespace %s via %s: %w", n.Type, id, r.via, err)
	}
	return out, nil
}
