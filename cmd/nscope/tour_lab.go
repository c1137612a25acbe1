package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// The tour's lab, made with nscope's own launcher (as "nscope run" does)
// and the kernel calls the articles' commands make:
//
//   - nest: an init in a new pid namespace (level 1), running as uid 1000
//     "unshare --user --map-root-user --pid --fork --mount-proc" twice, so
//     that user and pid namespaces nest two levels deeper, each pid
//     namespace owned by its own user namespace; "sleep infinity" is PID 1
//     of the innermost;
//   - web: "sleep infinity" in a network and UTS namespace of its own
//     (hostname tour-web);
//   - a network namespace with no process, kept by a bind mount at
//     /run/netns/NAME (what "ip netns add NAME" makes), joined to web's by
//     a veth pair, 10.0.0.1/24 and 10.0.0.2/24;
//   - busy: a shell busy loop in a cgroup limited to 20% of a CPU.
//
// Every cgroup is under /NAME in every hierarchy, a subtree of its own.
// close removes all of it.

// tourUID is the unprivileged user that makes the nested user namespaces,
// as in the articles: root inside them is uid 1000 outside.
const tourUID = 1000

// tourCPU is the busy loop's CPU limit.
const tourCPU = "0.2"

// Veth ends and addresses of the lab.
const (
	vethWeb, vethBlue = "veth-web", "veth-blue"
	addrWeb, addrBlue = "10.0.0.1/24", "10.0.0.2/24"
)

// tourLab is what the tour made, for the steps to point at and for close
// to remove.
type tourLab struct {
	name   string
	parent string
	l      *control.Launcher

	nest, web, busy *tourRun
	// innerPID is the host PID of the innermost sleep (PID 1 of the
	// third pid namespace).
	innerPID int
	// bluePath is the bind mount that keeps the process-less network
	// namespace; madeNetnsDir says /run/netns was made by the tour.
	bluePath     string
	madeNetnsDir bool
	mounted      bool
	blueID       inspect.NSID
	// cgroupDirs are the cgroup parents made, one per hierarchy.
	cgroupDirs []string

	closeOnce sync.Once
	closeErr  error
}

// tourRun is one process the launcher started in the background.
type tourRun struct {
	cmd  *control.LaunchCmd
	done chan struct{}
	err  error
	out  *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.b.String())
}

// checkTourName checks a lab name: it names cgroups and a file under
// /run/netns.
func checkTourName(name string) error {
	if name == "" || len(name) > 40 {
		return fmt.Errorf("%q: want 1 to 40 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("%q: want lower-case letters, digits and '-' only (it names cgroups and /run/netns/NAME)", name)
		}
	}
	return nil
}

// tourPrerequisites says what the tour needs and is missing: root, and
// unshare and setpriv from util-linux.
func tourPrerequisites() error {
	if os.Geteuid() != 0 {
		return errors.New("the tour needs root: it creates namespaces, a veth pair, a bind mount and cgroups (run it with sudo); everything is removed when it ends")
	}
	for _, tool := range []string{"unshare", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the tour needs %s from util-linux (apt-get install util-linux): %w", tool, err)
		}
	}
	return nil
}

// buildTourLab makes the lab. On any error (or ctx done) what was made is
// removed before it returns.
func buildTourLab(ctx context.Context, name string) (lab *tourLab, err error) {
	lab = &tourLab{
		name:     name,
		parent:   "/" + name,
		l:        control.NewLauncher(control.WithLaunchProcRoot(global.procRoot), control.WithLaunchSysRoot(global.sysRoot)),
		bluePath: filepath.Join("/run/netns", name),
	}
	defer func() {
		if err != nil {
			if cerr := lab.close(); cerr != nil {
				err = fmt.Errorf("%w; and cleaning up: %w", err, cerr)
			}
			lab = nil
		}
	}()
	steps := []struct {
		what string
		do   func() error
	}{
		{"the nested user and pid namespaces", lab.makeNest},
		{"the web process in its own network namespace", lab.makeWeb},
		{"the network namespace kept by a bind mount", lab.makeBlue},
		{"the veth pair", lab.makeVeth},
		{"the busy loop with a CPU limit", lab.makeBusy},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return lab, fmt.Errorf("interrupted before %s: %w", s.what, err)
		}
		if err := s.do(); err != nil {
			return lab, fmt.Errorf("making %s: %w", s.what, err)
		}
	}
	return lab, nil
}

// launch starts req in the background under the lab's cgroup parent.
func (lab *tourLab) launch(name string, req control.LaunchRequest) (*tourRun, error) {
	req.CgroupParent, req.Name = lab.parent, name
	lc, err := lab.l.Launch(req)
	if err != nil {
		return nil, err
	}
	for _, cg := range lc.Plan.Cgroups {
		if dir := filepath.Dir(cg.Dir); !contains(lab.cgroupDirs, dir) {
			lab.cgroupDirs = append(lab.cgroupDirs, dir)
		}
	}
	r := &tourRun{cmd: lc, done: make(chan struct{}), out: &syncBuffer{}}
	lc.Background = true
	lc.SetStdin(nil)
	lc.SetStdout(r.out)
	lc.SetStderr(r.out)
	if err := lc.Start(); err != nil {
		return nil, err
	}
	go func() {
		r.err = lc.Wait()
		close(r.done)
	}()
	return r, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// makeNest launches the init whose command nests two user+pid levels as
// uid 1000 and waits for the innermost sleep.
func (lab *tourLab) makeNest() error {
	unshare := []string{"unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc"}
	cmd := append([]string{"setpriv", "--reuid=" + strconv.Itoa(tourUID), "--regid=" + strconv.Itoa(tourUID), "--clear-groups"}, unshare...)
	cmd = append(append(cmd, unshare...), "sleep", "infinity")
	r, err := lab.launch("nest", control.LaunchRequest{Command: cmd, NS: []inspect.NSType{inspect.UTSNS}, Hostname: "tour-nest"})
	if err != nil {
		return err
	}
	lab.nest = r
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if pid := innermostSleep(r.cmd.InitPID()); pid > 0 {
			lab.innerPID = pid
			return nil
		}
		select {
		case <-r.done:
			return fmt.Errorf("the nested unshare ended: %v: %s (are unprivileged user namespaces allowed? sysctl user.max_user_namespaces)", r.err, r.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the innermost sleep did not start within 10s: %s", r.out.String())
}

// innermostSleep finds the sleep that is PID 1 three pid namespaces below
// the host's, among the descendants of init; 0 when not (yet) there.
func innermostSleep(init int) int {
	entries, _ := os.ReadDir(filepath.Join(global.procRoot))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st := readStatus(pid)
		if st["Name"] != "sleep" {
			continue
		}
		nspid := strings.Fields(st["NSpid"])
		if len(nspid) != 4 || nspid[3] != "1" {
			continue
		}
		for p, i := pid, 0; p > 1 && i < 16; i++ {
			pp, _ := strconv.Atoi(readStatus(p)["PPid"])
			if pp == init {
				return pid
			}
			p = pp
		}
	}
	return 0
}

// readStatus reads /proc/PID/status as a map of its fields.
func readStatus(pid int) map[string]string {
	data, err := os.ReadFile(filepath.Join(global.procRoot, strconv.Itoa(pid), "status"))
	if err != nil {
		return nil
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

func (lab *tourLab) makeWeb() error {
	r, err := lab.launch("web", control.LaunchRequest{Command: []string{"sleep", "infinity"},
		NS: []inspect.NSType{inspect.NetNS, inspect.UTSNS}, Hostname: "tour-web"})
	lab.web = r
	return err
}

func (lab *tourLab) makeBusy() error {
	r, err := lab.launch("busy", control.LaunchRequest{Command: []string{"sh", "-c", "while :; do :; done"},
		NS: []inspect.NSType{inspect.PIDNS}, CPU: tourCPU})
	lab.busy = r
	return err
}

// makeBlue makes a network namespace with no process, kept by a bind
// mount of its nsfs file at /run/netns/NAME, as "ip netns add NAME" does.
func (lab *tourLab) makeBlue() error {
	if _, err := os.Stat("/run/netns"); errors.Is(err, os.ErrNotExist) {
		if err := os.Mkdir("/run/netns", 0o755); err != nil {
			return err
		}
		lab.madeNetnsDir = true
	}
	f, err := os.OpenFile(lab.bluePath, os.O_CREATE|os.O_EXCL|os.O_RDONLY|unix.O_NOFOLLOW, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	err = onThrowawayThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, lab.bluePath, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind mount %s on %s: %w", src, lab.bluePath, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	lab.mounted = true
	var st unix.Stat_t
	if err := unix.Stat(lab.bluePath, &st); err != nil {
		return err
	}
	lab.blueID = inspect.NSID{Dev: st.Dev, Ino: st.Ino}
	return nil
}

// onThrowawayThread runs fn on an OS thread that is thrown away after it
// (the goroutine returns locked to it, so the Go runtime ends the thread):
// for fn that moves its thread into another namespace. The main thread,
// which the runtime never ends, is not used.
func onThrowawayThread(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			err := onThrowawayThread(fn)
			runtime.UnlockOSThread()
			done <- err
			return
		}
		done <- fn()
	}()
	return <-done
}

// netlinkIn returns a netlink handle whose socket is in the network
// namespace open at fd, made on a thrown-away thread.
func netlinkIn(fd int) (*netlink.Handle, error) {
	var h *netlink.Handle
	err := onThrowawayThread(func() error {
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("setns into the network namespace: %w", err)
		}
		var err error
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
		return err
	})
	return h, err
}

// makeVeth creates the veth pair with one end in web's network namespace
// and the other in the bind-mounted one, addresses both and brings them
// and the loopbacks up. The kernel makes each end in its namespace at
// once (IFLA_NET_NS_FD): nothing appears in the host's.
func (lab *tourLab) makeVeth() error {
	webFD, err := unix.Open(fmt.Sprintf("%s/%d/ns/net", global.procRoot, lab.web.cmd.PID()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(webFD)
	blueFD, err := unix.Open(lab.bluePath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(blueFD)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: vethWeb, Namespace: netlink.NsFd(webFD)},
		PeerName: vethBlue, PeerNamespace: netlink.NsFd(blueFD)}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("ip link add %s type veth peer name %s: %w", vethWeb, vethBlue, err)
	}
	for _, end := range []struct {
		fd         int
		name, addr string
	}{{webFD, vethWeb, addrWeb}, {blueFD, vethBlue, addrBlue}} {
		if err := configureEnd(end.fd, end.name, end.addr); err != nil {
			return err
		}
	}
	return nil
}

// configureEnd gives a veth end its address and brings it and lo up.
func configureEnd(fd int, name, addr string) error {
	h, err := netlinkIn(fd)
	if err != nil {
		return err
	}
	defer h.Close()
	for _, ifname := range []string{"lo", name} {
		l, err := h.LinkByName(ifname)
		if err != nil {
			return fmt.Errorf("find %s: %w", ifname, err)
		}
		if ifname == name {
			ip, ipnet, err := net.ParseCIDR(addr)
			if err != nil {
				return err
			}
			ipnet.IP = ip
			if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipnet}); err != nil {
				return fmt.Errorf("ip addr add %s dev %s: %w", addr, name, err)
			}
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("ip link set %s up: %w", ifname, err)
		}
	}
	return nil
}

// stopGrace is how long a lab process gets after SIGTERM before SIGKILL.
const stopGrace = time.Second

// stop ends a lab process: SIGTERM to its init (PID 1 of its pid
// namespace, which passes it on), SIGKILL after stopGrace; when the init
// dies the kernel kills everything in its pid namespace, the nested ones
// too. Wait (in the goroutine) then removes its cgroups.
func (r *tourRun) stop() error {
	if r == nil {
		return nil
	}
	select {
	case <-r.done:
		return r.cmd.CleanupErr()
	default:
	}
	pid := r.cmd.InitPID()
	if pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	select {
	case <-r.done:
	case <-time.After(stopGrace):
		if pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			return fmt.Errorf("%s (init PID %d) did not exit after SIGKILL", r.cmd.Plan.Name, pid)
		}
	}
	return r.cmd.CleanupErr()
}

// close removes everything the lab made, whatever was made: the
// processes (and with them their namespaces and the veth pair), the bind
// mount and its file, /run/netns if the tour made it, the cgroups. It is
// safe to call more than once and on a half-built lab.
func (lab *tourLab) close() error {
	lab.closeOnce.Do(func() {
		var errs []error
		var wg sync.WaitGroup
		runs := []*tourRun{lab.nest, lab.web, lab.busy}
		stopErrs := make([]error, len(runs))
		for i, r := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stopErrs[i] = r.stop()
			}()
		}
		wg.Wait()
		errs = append(errs, stopErrs...)
		if lab.mounted {
			// The web end went with web's namespace, and the blue end
			// with it: a veth pair lives and dies together.
			if err := unix.Unmount(lab.bluePath, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
				errs = append(errs, fmt.Errorf("umount %s: %w", lab.bluePath, err))
			}
		}
		if err := os.Remove(lab.bluePath); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		if lab.madeNetnsDir {
			_ = os.Remove("/run/netns") // only if empty: someone may use it now
		}
		for _, dir := range lab.cgroupDirs {
			if err := rmdirRetry(dir); err != nil {
				errs = append(errs, err)
			}
		}
		lab.closeErr = errors.Join(errs...)
	})
	return lab.closeErr
}

// rmdirRetry removes an empty cgroup directory, retrying while the kernel
// still counts a process that just exited (EBUSY).
func rmdirRetry(dir string) error {
	var err error
	for range 50 {
		err = unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("rmdir %s: %w", dir, err)
}

// what says what the lab is, for the messages around the tour.
func (lab *tourLab) what() string {
	return fmt.Sprintf("3 processes launched under cgroup %s (nested user and pid namespaces, a web namespace, a busy loop), the network namespace bind-mounted at %s and the veth pair between them",
		lab.parent, lab.bluePath)
}
