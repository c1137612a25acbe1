package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
	"github.com/nscope/nscope/internal/sshtest"
)

// TestKernlabSSHFleet runs under "kernlab -ssh CONFIG" (make kernlab), with a
// cgroup v2 lab guest — a second, real kernel — reachable over SSH
// through QEMU's forwarded port: the fleet view shows it beside this
// hybrid host (through a local sshd), each with its cgroup mode, and
// enter opens the guest's own view over SSH.
func TestKernlabSSHFleet(t *testing.T) {
	cfg, guest := os.Getenv(labproto.EnvSSHConfig), os.Getenv(labproto.EnvSSHHost)
	if cfg == "" || guest == "" {
		t.Skipf("runs under 'kernlab -ssh CONFIG' (make kernlab does), which sets %s and %s", labproto.EnvSSHConfig, labproto.EnvSSHHost)
	}
	bin := buildBinary(t)
	// This host, through a sshd whose sessions find the test's nscope on
	// their PATH, as the guest's find its /bin/nscope.
	srv := sshtest.Start(t, sshtest.Options{Env: []string{
		"NSCOPE_STATE_DIR=" + t.TempDir(),
		"PATH=" + filepath.Dir(bin) + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	}})
	lab, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "ssh_config")
	if err := os.WriteFile(config, append(lab, []byte("\n"+srv.HostBlock("hybrid-host"))...), 0o600); err != nil {
		t.Fatal(err)
	}
	tm := newTmuxTerm(t, 170, 40)
	// The guest runs under TCG: its handshake and scans are slow.
	tm.sendText("NSCOPE_SSH_COMMAND='ssh -F " + config + "' " + bin + " -H hybrid-host," + guest + " --connect-timeout 90s")
	tm.send("Enter")
	s := waitLong(t, tm, "both hosts in the fleet view", func(s string) bool {
		return strings.Contains(fleetRow(s, guest), " ok ") && strings.Contains(fleetRow(s, "hybrid-host"), " ok ")
	})
	if row := fleetRow(s, guest); !strings.Contains(row, "cgroup v2") {
		t.Errorf("the guest's row %q does not say cgroup v2", row)
	}
	if row := fleetRow(s, "hybrid-host"); !strings.Contains(row, "cgroup hybrid") {
		t.Errorf("this host's row %q does not say cgroup hybrid", row)
	}
	tm.send("Down")
	tm.send("Enter")
	waitLong(t, tm, "the guest's own view", func(s string) bool {
		return strings.Contains(s, guest+" · cgroup v2 · root") && strings.Contains(s, "updated")
	})
	tm.send("q")
	tm.waitText("nscope fleet")
	tm.send("q")
	checkRestored(t, tm)
}
