package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/nscope/nscope/internal/sshtest"
	"github.com/nscope/nscope/internal/testutil"
)

// remoteHost is a real OpenSSH server on this machine as the remote host
// of -H: ssh (with the server's own client config) reaches it, and its
// sessions run the test's nscope binary as the agent, with their own
// journal directory.
type remoteHost struct {
	srv    *sshtest.Server
	target string
	state  string
	env    []string
}

// startRemoteHost starts the server; sessionEnv are more variables its
// sessions get (sshd's SetEnv).
func startRemoteHost(t *testing.T, sessionEnv ...string) *remoteHost {
	t.Helper()
	bin := nscopeBinary(t)
	state := t.TempDir()
	srv := sshtest.Start(t, sshtest.Options{Env: append([]string{"NSCOPE_STATE_DIR=" + state}, sessionEnv...)})
	return &remoteHost{
		srv:    srv,
		target: srv.Target(),
		state:  state,
		env:    []string{"NSCOPE_SSH_COMMAND=" + srv.SSHCommand, "NSCOPE_REMOTE_BINARY=" + bin},
	}
}

// run runs the nscope binary here with env added (the same journal
// directory as the remote's, so history compares).
func (h *remoteHost) run(t *testing.T, stdin string, env []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(nscopeBinary(t), args...)
	cmd.Env = append(append(os.Environ(), "NSCOPE_STATE_DIR="+h.state), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("nscope %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// remote runs nscope -H host args.
func (h *remoteHost) remote(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	return h.run(t, stdin, h.env, append([]string{"-H", h.target}, args...)...)
}

// absFixtureArgs points the scanner at the hybrid-host fixture by
// absolute paths, which mean the same on the remote (this machine).
func absFixtureArgs(t *testing.T, args ...string) []string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", "testdata", "hybridhost"))
	if err != nil {
		t.Fatal(err)
	}
	return append(args, "--proc", filepath.Join(root, "proc"), "--sys", filepath.Join(root, "sys"))
}

// TestRemoteCLIEqualsLocal: every read command prints over -H exactly
// what it prints here (standard output, standard error and exit status),
// on the fixture host both sides read; usage errors are found here and
// exit 2 without a connection.
func TestRemoteCLIEqualsLocal(t *testing.T) {
	h := startRemoteHost(t)
	runtimeRoot, err := filepath.Abs(filepath.Join("..", "..", "inspect", "runtimes", "testdata", "host"))
	if err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"ps"}, {"ps", "--tree"}, {"ps", "--json"},
		{"ns"}, {"ns", "--tree"}, {"ns", "--tree", "--nesting"}, {"ns", "--json"}, {"ns", "-t", "net,pid"},
		{"ns", "--tree", "--format", "dot"}, {"ns", "--tree", "--format", "svg"},
		{"cg"}, {"cg", "--tree"}, {"cg", "--json"}, {"cg", "--hierarchy", "memory"},
		{"history"}, {"history", "--json"},
		{"containers", "--all", "--runtime-root", runtimeRoot}, {"containers", "--json", "--runtime-root", runtimeRoot},
		// Errors: a usage error (found here) and one only the command finds.
		{"ps", "--tree", "--json"}, {"cg", "--hierarchy", "nope"}, {"bogus"},
	}
	for _, c := range commands {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			t.Parallel()
			args := absFixtureArgs(t, c...)
			local := h.run(t, "", nil, args...)
			remote := h.remote(t, "", args...)
			if diff := cmp.Diff(local, remote, cmp.AllowUnexported(cliResult{})); diff != "" {
				t.Errorf("nscope %s here and over -H differ (-local +remote):\n%s", strings.Join(c, " "), diff)
			}
			if local.stdout == "" && local.code == 0 {
				t.Errorf("nscope %s printed nothing: the comparison proves nothing", strings.Join(c, " "))
			}
		})
	}
}

// TestRemoteSnapshot: the snapshot over -H is the local one but for the
// scan's own time, duration and PID; -o writes the file here.
func TestRemoteSnapshot(t *testing.T) {
	h := startRemoteHost(t)
	normal := func(t *testing.T, doc []byte) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatalf("snapshot JSON: %v\n%.300s", err, doc)
		}
		delete(m, "time")
		delete(m, "scan_duration_ns")
		delete(m["host"].(map[string]any), "self_pid")
		return m
	}
	local := h.run(t, "", nil, absFixtureArgs(t, "snapshot")...)
	out := filepath.Join(t.TempDir(), "host.json")
	remote := h.remote(t, "", absFixtureArgs(t, "snapshot", "-o", out)...)
	if remote.code != 0 || remote.stdout != "" {
		t.Fatalf("snapshot -o over -H: exit %d, stdout %q, stderr %s", remote.code, remote.stdout, remote.stderr)
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("snapshot -o %s over -H did not write the file here: %v", out, err)
	}
	if diff := cmp.Diff(normal(t, []byte(local.stdout)), normal(t, doc)); diff != "" {
		t.Errorf("snapshot here and over -H differ (-local +remote):\n%s", diff)
	}
}

// TestRemoteConnectErrors: what a user reads when the host cannot be
// reached, has no nscope, or was given wrongly; none is a usage error
// but the last.
func TestRemoteConnectErrors(t *testing.T) {
	h := startRemoteHost(t)
	closed := sshtest.ClosedPort(t)
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"nothing listens", h.env, []string{"-H", "localhost:" + strconv.Itoa(closed), "ps"}, exitUnreachable, "ssh could not connect"},
		{"no nscope there", []string{"NSCOPE_SSH_COMMAND=" + h.srv.SSHCommand, "NSCOPE_REMOTE_BINARY=/nonexistent/nscope"}, []string{"-H", h.target, "ps"}, exitUnreachable, "nscope is not installed there"},
		{"something else answers", []string{"NSCOPE_SSH_COMMAND=" + h.srv.SSHCommand, "NSCOPE_REMOTE_BINARY=/bin/echo"}, []string{"-H", h.target, "ps"}, exitUnreachable, "did not answer as nscope does"},
		{"an option as host", h.env, []string{"-H", "-oProxyCommand=touch /tmp/x", "ps"}, exitUsage, "not starting with '-'"},
		{"one host only", h.env, []string{"-H", "a,b", "ps"}, exitUsage, "runs on one host"},
		{"install without a host", nil, []string{"--install", "ps"}, exitUsage, "give -H"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := h.run(t, "", tc.env, tc.args...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("nscope %s: exit %d, stderr %q; want exit %d saying %q", strings.Join(tc.args, " "), res.code, res.stderr, tc.code, tc.want)
			}
		})
	}
}

var (
	oldOnce sync.Once
	oldPath string
	oldErr  error
)

// olderNscope builds nscope speaking protocol 0 only: an nscope from
// before the current protocol.
func olderNscope(t *testing.T) string {
	t.Helper()
	oldOnce.Do(func() {
		oldPath = filepath.Join(filepath.Dir(nscopeBinary(t)), "nscope-proto0")
		pkg := "github.com/nscope/nscope/remote/wire"
		out, err := exec.Command("go", "build", "-ldflags", fmt.Sprintf("-X %s.protocolOverride=0 -X %s.minProtocolOverride=0", pkg, pkg), "-o", oldPath, ".").CombinedOutput()
		if err != nil {
			oldErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if oldErr != nil {
		t.Fatal(oldErr)
	}
	return oldPath
}

// TestRemoteOlderProtocol: an agent that speaks an older protocol is
// named, with the side to upgrade; so is an older client.
func TestRemoteOlderProtocol(t *testing.T) {
	h := startRemoteHost(t)
	old := olderNscope(t)
	res := h.run(t, "", []string{"NSCOPE_SSH_COMMAND=" + h.srv.SSHCommand, "NSCOPE_REMOTE_BINARY=" + old}, "-H", h.target, "ps")
	want := "speaks protocol 0, and this nscope"
	if res.code != exitUnreachable || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "upgrade nscope on "+h.target) {
		t.Errorf("an older agent: exit %d, stderr %q; want %d saying %q and to upgrade nscope on %s", res.code, res.stderr, exitUnreachable, want, h.target)
	}
	cmd := exec.Command(old, "-H", h.target, "ps")
	cmd.Env = append(os.Environ(), h.env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUnreachable || !strings.Contains(string(out), "upgrade nscope here") {
		t.Errorf("an older client: %v, output %q; want exit %d saying to upgrade nscope here", err, out, exitUnreachable)
	}
}

// TestForwardedArgs: the command line sent to the remote is what cobra
// parsed here, flags as --name=value, -- where it was.
func TestForwardedArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"flags and argument", []string{"-H", "h", "set", "/app", "--cpu", "0.5", "-y"}, []string{"set", "--cpu=0.5", "--yes=true", "/app"}},
		{"raw files", []string{"set", "/app", "cpu.max=50000 100000", "-H", "h"}, []string{"set", "/app", "cpu.max=50000 100000"}},
		{"dash", []string{"-H", "h", "enter", "42", "--ns", "net", "--", "ip", "-br", "a"}, []string{"enter", "--ns=net", "42", "--", "ip", "-br", "a"}},
		{"run without dash", []string{"-H", "h", "--read-only", "run", "--cpu", "1", "ls", "-la"}, []string{"run", "--cpu=1", "--read-only=true", "ls", "-la"}},
		{"value like a flag", []string{"-H", "h", "ns", "--type", "-x"}, []string{"ns", "--type=-x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			root := newRootCmd()
			root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
				got = forwardedArgs(cmd, args)
				return errStop
			}
			root.SetArgs(tc.args)
			root.SetOut(new(bytes.Buffer))
			if err := root.Execute(); err != errStop {
				t.Fatalf("Execute: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("forwarded (-want +got):\n%s", diff)
			}
		})
	}
}

var errStop = fmt.Errorf("stop")

// TestRemoteInstall: with no nscope on the remote, --install copies this
// binary into the remote user's cache (checksum verified) and runs it
// there; the next run finds the copy, a damaged copy is replaced, and no
// agent is left running.
func TestRemoteInstall(t *testing.T) {
	cache := t.TempDir()
	h := startRemoteHost(t, "XDG_CACHE_HOME="+cache)
	env := []string{"NSCOPE_SSH_COMMAND=" + h.srv.SSHCommand}
	which := exec.Command("sh", "-c", h.srv.SSHCommand+` -p `+strconv.Itoa(h.srv.Port)+` localhost 'command -v nscope || echo none'`)
	if out, err := which.Output(); err != nil || strings.TrimSpace(string(out)) != "none" {
		t.Skipf("the remote PATH has nscope (%s, %v): the test needs a host without it", out, err)
	}
	args := absFixtureArgs(t, "ps", "--tree")
	res := h.run(t, "", env, append([]string{"-H", h.target}, args...)...)
	if res.code != exitUnreachable || !strings.Contains(res.stderr, "--install") {
		t.Fatalf("without --install: exit %d, stderr %q; want %d suggesting --install", res.code, res.stderr, exitUnreachable)
	}
	local := h.run(t, "", nil, args...)
	bin := nscopeBinary(t)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := fmt.Sprintf("%x", sha256.Sum256(data))
	copied := filepath.Join(cache, "nscope", "bin", "nscope-"+sum[:16])
	for i, step := range []struct {
		name   string
		before func()
		copies bool
	}{
		{"first run copies", nil, true},
		{"second run finds the copy", nil, false},
		{"a damaged copy is replaced", func() {
			f, err := os.OpenFile(copied, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("x")
			f.Close()
		}, true},
	} {
		if step.before != nil {
			step.before()
		}
		res := h.run(t, "", env, append([]string{"-H", h.target, "--install"}, args...)...)
		if res.code != 0 || res.stdout != local.stdout {
			t.Fatalf("%s: exit %d, stderr %q, stdout equal to the local one: %v", step.name, res.code, res.stderr, res.stdout == local.stdout)
		}
		if got := strings.Contains(res.stderr, "copied this nscope"); got != step.copies {
			t.Errorf("%s (run %d): stderr %q; want a copy: %v", step.name, i+1, res.stderr, step.copies)
		}
		st, err := os.Stat(copied)
		if err != nil {
			t.Fatalf("%s: no copy at %s: %v", step.name, copied, err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("%s: the copy's mode is %v, want 0700", step.name, st.Mode())
		}
		if got, _ := os.ReadFile(copied); !bytes.Equal(got, data) {
			t.Errorf("%s: the copy is not this binary", step.name)
		}
	}
	testutil.WaitFor(t, "no agent left running", func() bool { return len(agentPIDs(h)) == 0 })
}

// TestRemoteNSCOPEHOST: NSCOPE_HOST is -H for every command; on the
// remote, an NSCOPE_HOST of its own does not send the command on again.
func TestRemoteNSCOPEHOST(t *testing.T) {
	h := startRemoteHost(t, "NSCOPE_HOST=elsewhere.invalid:1")
	args := absFixtureArgs(t, "ps", "--tree")
	local := h.run(t, "", nil, args...)
	res := h.run(t, "", append([]string{"NSCOPE_HOST=" + h.target}, h.env...), args...)
	if res.code != 0 || res.stdout != local.stdout {
		t.Errorf("NSCOPE_HOST=%s nscope ps: exit %d, stderr %q, output equal to the local one: %v", h.target, res.code, res.stderr, res.stdout == local.stdout)
	}
	if res := h.run(t, "", nil, "-H", h.target, "agent"); res.code != exitUsage {
		t.Errorf("nscope -H HOST agent: exit %d, want %d", res.code, exitUsage)
	}
}
