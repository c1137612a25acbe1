package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// sshSession makes the guest reachable over SSH after its tests, when
// kernlab -ssh packed an SSHSpec, and holds it up until the host is done:
// the host runs nscope -H against it (a second kernel in the fleet view).
// It returns the number of failures.
func sshSession(con *console) int {
	data, err := os.ReadFile(labproto.SSHSpecPath)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	step := func(name string, err error) bool {
		m := labproto.Marker{Kind: labproto.KindSetup, Step: name, OK: err == nil}
		if err != nil {
			m.Text = err.Error()
		}
		con.marker(m)
		return err == nil
	}
	var spec labproto.SSHSpec
	if err == nil {
		err = json.Unmarshal(data, &spec)
	}
	if !step("ssh-spec", err) {
		return 1
	}
	if !step("ssh-network", sshNetwork(spec)) {
		return 1
	}
	sshd, err := startSSHD(spec)
	if !step("sshd", err) {
		return 1
	}
	defer func() {
		_ = sshd.Process.Kill()
		_, _ = sshd.Process.Wait()
	}()
	con.printf("labinit: sshd listens on %s port 22; holding the guest until the host creates %s (at most %s)\n", spec.Address, spec.Release, time.Duration(spec.Hold))
	deadline := time.Now().Add(time.Duration(spec.Hold))
	for time.Now().Before(deadline) {
		if _, err := os.Stat(spec.Release); err == nil {
			con.printf("labinit: released by the host\n")
			return 0
		}
		time.Sleep(200 * time.Millisecond)
	}
	step("ssh-release", fmt.Errorf("the host did not release the guest within %s", time.Duration(spec.Hold)))
	return 1
}

// sshNetwork loads the NIC driver and configures the interface as QEMU's
// user networking expects (10.0.2.15/24 via 10.0.2.2).
func sshNetwork(spec labproto.SSHSpec) error {
	if err := loadModules(spec.Modules); err != nil {
		return err
	}
	lo, err := netlink.LinkByName("lo")
	if err == nil {
		err = netlink.LinkSetUp(lo)
	}
	if err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	var link netlink.Link
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if link, err = netlink.LinkByName(spec.Interface); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("interface %s did not appear: %w", spec.Interface, err)
		}
	}
	addr, err := netlink.ParseAddr(spec.Address)
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(link, addr); err != nil {
		return fmt.Errorf("address %s on %s: %w", spec.Address, spec.Interface, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("%s up: %w", spec.Interface, err)
	}
	gw := net.ParseIP(spec.Gateway)
	if err := netlink.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw}); err != nil {
		return fmt.Errorf("default route via %s: %w", spec.Gateway, err)
	}
	return nil
}

// startSSHD starts sshd in the foreground of its own process (-D), with
// what it insists on: its privilege separation user and directory.
func startSSHD(spec labproto.SSHSpec) (*exec.Cmd, error) {
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(passwd), "\nsshd:") {
		f, err := os.OpenFile("/etc/passwd", os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		_, err = f.WriteString("sshd:x:100:65534::/run/sshd:/bin/false\n")
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create("/tmp/sshd.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(spec.SSHD, "-D", "-e", "-f", spec.Config)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", spec.SSHD, err)
	}
	log.Close()
	// It listens within a moment, or says why it did not.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:22", time.Second); err == nil {
			c.Close()
			return cmd, nil
		}
	}
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	out, _ := os.ReadFile("/tmp/sshd.log")
	return nil, fmt.Errorf("sshd did not listen on port 22: %s", strings.TrimSpace(string(out)))
}
