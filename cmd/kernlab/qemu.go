package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// qemuBinary is the emulator the lab boots.
const qemuBinary = "qemu-system-x86_64"

// qemuRun describes one boot.
type qemuRun struct {
	Kernel  string
	Initrd  string
	Disk    string
	Cmdline string // the kernel command line
	// OneHostThread runs both virtual CPUs on one host thread
	// (-accel tcg,thread=single) instead of one thread each.
	OneHostThread bool
	Timeout       time.Duration
	// Extra are more arguments (the -ssh guest's NIC).
	Extra []string
	// OnLine is called for every console line, in order.
	OnLine func(line string)
}

// errTimeout is returned when the guest did not power off in time.
var errTimeout = errors.New("guest did not power off in time")

// findQEMU returns the emulator's path or a message saying how to get it.
func findQEMU() (string, error) {
	p, err := exec.LookPath(qemuBinary)
	if err != nil {
		return "", fmt.Errorf("%s not found: install it with 'make deps' as root, or 'apt-get install --no-install-recommends qemu-system-x86'", qemuBinary)
	}
	return p, nil
}

// qemuArgs returns the emulator's command line for r.
func qemuArgs(r qemuRun) []string {
	accel := "tcg"
	if r.OneHostThread {
		accel = "tcg,thread=single"
	}
	return append([]string{
		"-accel", accel,
		"-smp", "2",
		"-m", "512M",
		"-nographic",
		"-no-reboot",
		"-nic", "none",
		"-kernel", r.Kernel,
		"-initrd", r.Initrd,
		"-append", r.Cmdline,
		"-drive", "file=" + r.Disk + ",format=raw,if=virtio",
	}, r.Extra...)
}

// boot runs QEMU until the guest powers off, streaming the serial console
// to r.OnLine. It kills QEMU (and reports errTimeout) when r.Timeout
// passes, and kills it when ctx is cancelled.
func boot(ctx context.Context, qemu string, r qemuRun) error {
	cmd := exec.Command(qemu, qemuArgs(r)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devNull.Close()
	cmd.Stdin = devNull
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", qemu, err)
	}
	kill := func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	timedOut := make(chan struct{})
	timer := time.AfterFunc(r.Timeout, func() {
		close(timedOut)
		kill()
	})
	defer timer.Stop()
	stopWatch := context.AfterFunc(ctx, kill)
	defer stopWatch()

	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		r.OnLine(sc.Text())
	}
	waitErr := cmd.Wait()
	select {
	case <-timedOut:
		return fmt.Errorf("%w (%s)", errTimeout, r.Timeout)
	default:
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if waitErr != nil {
		return fmt.Errorf("%s: %w: %s", qemu, waitErr, strings.TrimSpace(stderr.String()))
	}
	return nil
}
