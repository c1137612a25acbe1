package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// kernlab -ssh CONFIG makes that configuration's guest reachable over SSH
// after its own tests: QEMU's user networking forwards a loopback port of
// this host to the guest's port 22, where the host's OpenSSH sshd (with
// its libraries) listens with keys made for the run, and the guest has
// nscope on its PATH. The host then runs its own TestKernlabSSH tests (the
// fleet view with the guest beside this host) against it, and releases
// the guest when they end. The NIC driver (virtio_net and what it needs)
// is taken from the kernel's .deb once and cached beside the kernel.

// sshAlias is the name the host's tests reach the guest by.
const sshAlias = "kernlab-guest"

// sshHostTests are the host's tests run against the guest: the package
// and the -test.run pattern.
const (
	sshTestPackage = "./tui"
	sshTestRun     = "^TestKernlabSSH"
)

// Guest paths of the SSH setup.
const (
	guestSSHDir = "/lab/ssh"
	sshRelease  = "/run/nscope-lab-release"
)

// sshGuest is one guest's SSH setup.
type sshGuest struct {
	dir        string // keys and configs, in the work directory
	port       int    // the loopback port QEMU forwards to the guest's 22
	config     string // the host's ssh_config reaching the guest as sshAlias
	netModules []string
	testBinary string
	root       string
	done       chan []string
}

// prepareSSHGuest makes the keys and configs, finds the NIC modules and
// builds the host's test binary.
func prepareSSHGuest(ctx context.Context, o options, k *kernel, dir string) (*sshGuest, error) {
	g := &sshGuest{dir: filepath.Join(dir, "ssh")}
	if err := os.MkdirAll(g.dir, 0o700); err != nil {
		return nil, err
	}
	for _, key := range []string{"host_key", "client_key"} {
		if out, err := exec.CommandContext(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kernlab", "-f", filepath.Join(g.dir, key)).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("-ssh: ssh-keygen: %v: %s", err, out)
		}
	}
	hostPub, err := os.ReadFile(filepath.Join(g.dir, "host_key.pub"))
	if err != nil {
		return nil, err
	}
	f := strings.Fields(string(hostPub))
	if err := os.WriteFile(filepath.Join(g.dir, "known_hosts"), []byte(sshAlias+" "+f[0]+" "+f[1]+"\n"), 0o600); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	g.config = filepath.Join(g.dir, "ssh_config")
	conf := fmt.Sprintf(`Host %s
  HostName 127.0.0.1
  Port %d
  User root
  IdentityFile %s/client_key
  IdentitiesOnly yes
  IdentityAgent none
  HostKeyAlias %[1]s
  UserKnownHostsFile %[3]s/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
`, sshAlias, g.port, g.dir)
	if err := os.WriteFile(g.config, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	sshdConf := "Port 22\nHostKey " + guestSSHDir + "/host_key\nAuthorizedKeysFile " + guestSSHDir + "/authorized_keys\n" +
		"PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n" +
		"StrictModes no\nUseDNS no\nPrintMotd no\nPidFile /run/sshd.pid\n"
	if err := os.WriteFile(filepath.Join(g.dir, "sshd_config"), []byte(sshdConf), 0o600); err != nil {
		return nil, err
	}
	if g.netModules, err = netModules(ctx, o.cacheDir, k); err != nil {
		return nil, err
	}
	if g.root, err = moduleRoot(ctx); err != nil {
		return nil, err
	}
	g.testBinary = filepath.Join(g.dir, "host-lab.test")
	if out, err := goOutput(ctx, g.root, nil, "test", "-c", "-o", g.testBinary, sshTestPackage); err != nil {
		return nil, fmt.Errorf("-ssh: build the host's tests of %s: %v: %s", sshTestPackage, err, out)
	}
	return g, nil
}

// netModules returns virtio_net and its dependencies for kernel k, in
// load order, from the cache or extracted from the kernel's .deb (fetched
// again once: the kernel cache keeps only the modules every guest
// loads).
func netModules(ctx context.Context, cacheDir string, k *kernel) ([]string, error) {
	dir := filepath.Join(cacheDir, "netmods-"+k.Package)
	orderFile := filepath.Join(dir, "order.json")
	var order []string
	if data, err := os.ReadFile(orderFile); err == nil && json.Unmarshal(data, &order) == nil {
		return modulePaths(dir, order), nil
	}
	name, version, ok := strings.Cut(k.Package, "_")
	if !ok {
		return nil, fmt.Errorf("-ssh: kernel package %q is not NAME_VERSION", k.Package)
	}
	logf("fetching %s again for the NIC driver (once; cached in %s)", k.Package, dir)
	tmp, err := os.MkdirTemp(cacheDir, ".netmods-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	deb, err := downloadDeb(ctx, debPackage{Name: name, Version: version}, tmp)
	if err != nil {
		return nil, err
	}
	if order, err = extractModules(ctx, deb, tmp, []string{"virtio_net"}); err != nil {
		return nil, err
	}
	if err := os.Remove(deb); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(order)
	if err := os.WriteFile(filepath.Join(tmp, "order.json"), data, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(orderFile); serr != nil {
			return nil, fmt.Errorf("netmods cache: %w", err)
		}
	}
	return modulePaths(dir, order), nil
}

func modulePaths(dir string, order []string) []string {
	out := make([]string, len(order))
	for i, m := range order {
		out[i] = filepath.Join(dir, m+".ko")
	}
	return out
}

// addTo puts sshd with its libraries, the keys, configs, NIC modules and
// the spec labinit reads into the guest's initramfs.
func (g *sshGuest) addTo(ctx context.Context, fs *initramfs) error {
	files, err := extraFiles(ctx, "/usr/sbin/sshd")
	if err != nil {
		return fmt.Errorf("-ssh needs the host's OpenSSH server (apt-get install openssh-server): %w", err)
	}
	fs.Files = append(fs.Files, files...)
	spec := labproto.SSHSpec{
		Interface: "eth0", Address: "10.0.2.15/24", Gateway: "10.0.2.2",
		SSHD: "/bin/sshd", Config: guestSSHDir + "/sshd_config",
		Release: sshRelease, Hold: labproto.Duration(5 * time.Minute),
	}
	for _, m := range g.netModules {
		spec.Modules = append(spec.Modules, guestModulePath(m))
		fs.Files = append(fs.Files, guestFile{Src: m, Dst: guestModulePath(m), Perm: 0o644})
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	specFile := filepath.Join(g.dir, "ssh.json")
	if err := os.WriteFile(specFile, data, 0o600); err != nil {
		return err
	}
	fs.Files = append(fs.Files,
		guestFile{Src: specFile, Dst: labproto.SSHSpecPath, Perm: 0o600},
		guestFile{Src: filepath.Join(g.dir, "host_key"), Dst: guestSSHDir + "/host_key", Perm: 0o600},
		guestFile{Src: filepath.Join(g.dir, "host_key.pub"), Dst: guestSSHDir + "/host_key.pub", Perm: 0o644},
		guestFile{Src: filepath.Join(g.dir, "client_key.pub"), Dst: guestSSHDir + "/authorized_keys", Perm: 0o600},
		guestFile{Src: filepath.Join(g.dir, "sshd_config"), Dst: guestSSHDir + "/sshd_config", Perm: 0o600},
	)
	return nil
}

// qemuArgs is the guest's NIC: QEMU user networking with the loopback
// port forwarded to port 22. Nil for a guest without SSH.
func (g *sshGuest) qemuArgs() []string {
	if g == nil {
		return nil
	}
	return []string{"-nic", "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:" + strconv.Itoa(g.port) + "-:22"}
}

// start waits, in the background, for the guest's sshd, runs the host's
// tests against it and releases the guest; wait returns the problems.
func (g *sshGuest) start(ctx context.Context, w io.Writer, o options) {
	if g == nil {
		return
	}
	g.done = make(chan []string, 1)
	go func() { g.done <- g.run(ctx, w, o) }()
}

// wait returns the problems of the host's tests (none for a guest
// without SSH).
func (g *sshGuest) wait() []string {
	if g == nil || g.done == nil {
		return nil
	}
	return <-g.done
}

func (g *sshGuest) ssh(ctx context.Context, command string) error {
	out, err := exec.CommandContext(ctx, "ssh", "-F", g.config, sshAlias, command).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func (g *sshGuest) run(ctx context.Context, w io.Writer, o options) []string {
	// The guest runs its own tests first; its sshd starts after them.
	var err error
	for deadline := time.Now().Add(o.timeout); time.Now().Before(deadline); {
		if err = g.ssh(ctx, "true"); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return []string{"-ssh: " + ctx.Err().Error()}
		case <-time.After(2 * time.Second):
		}
	}
	if err != nil {
		return []string{"-ssh: the guest's sshd never answered: " + err.Error()}
	}
	defer func() {
		if err := g.ssh(ctx, "touch "+sshRelease); err != nil {
			fmt.Fprintf(w, "kernlab: -ssh: release the guest: %v\n", err)
		}
	}()
	cmd := exec.CommandContext(ctx, g.testBinary, "-test.run", sshTestRun, "-test.v", "-test.count=1", "-test.timeout", o.testTimeout.String())
	cmd.Dir = filepath.Join(g.root, sshTestPackage)
	cmd.Env = append(os.Environ(), labproto.EnvSSHConfig+"="+g.config, labproto.EnvSSHHost+"="+sshAlias)
	out, err := cmd.CombinedOutput()
	passed, failed := 0, 0
	for _, line := range strings.Split(string(out), "\n") {
		switch t := strings.TrimSpace(line); {
		case strings.HasPrefix(t, "--- PASS: TestKernlabSSH"):
			passed++
			fmt.Fprintf(w, "  host %s\n", t)
		case strings.HasPrefix(t, "--- FAIL: TestKernlabSSH"), strings.HasPrefix(t, "--- SKIP: TestKernlabSSH"):
			failed++
			fmt.Fprintf(w, "  host %s\n", t)
		}
	}
	if err != nil || failed > 0 || passed == 0 {
		fmt.Fprintf(w, "kernlab: the host's %s tests against the guest:\n%s\n", sshTestRun, out)
		return []string{fmt.Sprintf("-ssh: the host's tests against the guest over SSH failed (%d passed, %d failed or skipped: %v)", passed, failed, err)}
	}
	return nil
}
