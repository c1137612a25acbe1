// Package sshtest starts a real OpenSSH server for nscope's remote tests:
// sshd from the distribution, as root, on a free loopback port, with a
// host key, an authorized client key and a config of its own in a
// temporary directory. Nothing of the machine's own ssh setup is read or
// changed. The server and every session it started are killed when the
// test ends.
package sshtest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nscope/nscope/internal/testutil"
)

// Server is a running sshd.
type Server struct {
	// Port is the loopback port it listens on.
	Port int
	// Dir holds its keys, configs and logs.
	Dir string
	// SSHCommand is the client command line that reaches it (for
	// NSCOPE_SSH_COMMAND): ssh with this server's client config.
	SSHCommand string
	// PID is the listening sshd's.
	PID int
	cmd *exec.Cmd
}

// Options configure a Server.
type Options struct {
	// Env are NAME=VALUE pairs every session gets (sshd's SetEnv), e.g.
	// the agent's journal directory.
	Env []string
}

// Start starts sshd, or skips the test when it cannot (not root, no
// sshd or ssh-keygen).
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	testutil.RequireRoot(tb, "sshd must run as root to start sessions")
	testutil.RequireTools(tb, "ssh", "ssh-keygen")
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		tb.Skipf("%s is missing: install openssh-server (the tests start their own sshd with their own config)", sshd)
	}
	dir, err := os.MkdirTemp("", "nscope-sshd-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	for _, key := range []string{"host_key", "client_key"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nscope-test", "-f", filepath.Join(dir, key)).CombinedOutput()
		if err != nil {
			tb.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	write(tb, filepath.Join(dir, "authorized_keys"), string(pub))
	hostPub, err := os.ReadFile(filepath.Join(dir, "host_key.pub"))
	if err != nil {
		tb.Fatal(err)
	}
	fields := strings.Fields(string(hostPub))
	write(tb, filepath.Join(dir, "known_hosts"), "nscope-test "+fields[0]+" "+fields[1]+"\n")
	write(tb, filepath.Join(dir, "ssh_config"), fmt.Sprintf(`Host *
  User root
  IdentityFile %[1]s/client_key
  IdentitiesOnly yes
  IdentityAgent none
  HostKeyAlias nscope-test
  UserKnownHostsFile %[1]s/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
`, dir))
	// sshd refuses to start without its privilege separation directory,
	// which the distribution's service creates at boot.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		tb.Fatal(err)
	}
	srv := &Server{Dir: dir, SSHCommand: "ssh -F " + filepath.Join(dir, "ssh_config")}
	for try := 0; ; try++ {
		srv.Port = freePort(tb)
		// sshd takes the first SetEnv line only: all on one.
		var env strings.Builder
		if len(opts.Env) > 0 {
			env.WriteString("SetEnv")
			for _, kv := range opts.Env {
				env.WriteString(" " + strconv.Quote(kv))
			}
			env.WriteString("\n")
		}
		write(tb, filepath.Join(dir, "sshd_config"), fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %[2]s/host_key
PidFile %[2]s/sshd.pid
AuthorizedKeysFile %[2]s/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
MaxSessions 64
MaxStartups 64
%s`, srv.Port, dir, env.String()))
		log, err := os.Create(filepath.Join(dir, "sshd.log"))
		if err != nil {
			tb.Fatal(err)
		}
		cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start sshd: %v", err)
		}
		log.Close()
		srv.cmd, srv.PID = cmd, cmd.Process.Pid
		if srv.ready() {
			break
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if try == 3 {
			data, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			tb.Fatalf("sshd did not start:\n%s", data)
		}
	}
	tb.Cleanup(srv.stop)
	return srv
}

// ready waits for the server to send its banner.
func (s *Server) ready() bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.Port), time.Second)
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil && strings.HasPrefix(line, "SSH-") {
				return true
			}
		}
		if s.cmd.ProcessState != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// stop kills the server and its sessions.
func (s *Server) stop() {
	s.KillSessions()
	_ = syscall.Kill(-s.PID, syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// Target is the host to give -H: localhost on the server's port.
func (s *Server) Target() string { return "localhost:" + strconv.Itoa(s.Port) }

// Sessions returns the PIDs of the server's per-connection processes.
func (s *Server) Sessions() []int {
	pids := testutil.Children(s.PID)
	sort.Ints(pids)
	return pids
}

// KillSessions kills every connection's sshd, as a dropped network
// does: the agents on the other side see their input end.
func (s *Server) KillSessions() int {
	n := 0
	for _, pid := range s.Sessions() {
		// The session's privilege-separated sshd child, when it has one,
		// then the connection's process. Only sshd: the command the
		// session runs (an agent) lives on and sees its input end. (It
		// once killed every child: the agent too, after which the
		// session's sshd could exit before it was killed, and a killed
		// session was counted as none.)
		for _, c := range testutil.Children(pid) {
			if testutil.Comm(c) == "sshd" {
				_ = syscall.Kill(c, syscall.SIGKILL)
			}
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err == nil || errors.Is(err, syscall.ESRCH) {
			n++
		}
	}
	return n
}

// Log returns what sshd logged.
func (s *Server) Log() string {
	data, _ := os.ReadFile(filepath.Join(s.Dir, "sshd.log"))
	return string(data)
}

func write(tb testing.TB, path, data string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// freePort returns a loopback port nobody listens on now.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ClosedPort returns a loopback port nothing listens on.
func ClosedPort(tb testing.TB) int { return freePort(tb) }

// Pause stops the server (SIGSTOP): new connections are accepted by the
// kernel and never answered, as with a host that hangs.
func (s *Server) Pause() { _ = syscall.Kill(s.PID, syscall.SIGSTOP) }

// Resume lets a paused server go on.
func (s *Server) Resume() { _ = syscall.Kill(s.PID, syscall.SIGCONT) }

// Silent listens on a loopback port, accepts connections and never says
// anything: a host whose network works and whose sshd hangs. It returns
// the port; the listener and its connections are closed when the test
// ends.
func Silent(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// HostBlock is an ssh_config "Host alias" block that reaches the server
// with its key, for a config that names several hosts.
func (s *Server) HostBlock(alias string) string {
	return fmt.Sprintf(`Host %s
  HostName 127.0.0.1
  Port %d
  User root
  IdentityFile %[3]s/client_key
  IdentitiesOnly yes
  IdentityAgent none
  HostKeyAlias nscope-test
  UserKnownHostsFile %[3]s/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
`, alias, s.Port, s.Dir)
}
