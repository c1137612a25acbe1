package control

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The live tests run helper processes by re-executing the test binary
// with NSCOPE_CONTROL_HELPER set; init runs the helper before the testing
// package starts. Each helper first waits for a line on stdin, so the
// test can place it into its cgroups before it does anything.
const helperEnv = "NSCOPE_CONTROL_HELPER"

func init() {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	bufio.NewReader(os.Stdin).ReadString('\n')
	kind, arg, _ := strings.Cut(mode, ":")
	switch kind {
	case "spin":
		//lint:ignore SA5002 the helper spins on purpose: it is the CPU load the throttling tests measure
		for {
		}
	case "alloc":
		// Allocate and touch arg bytes in 1 MiB chunks, then wait.
		n, _ := strconv.Atoi(arg)
		var keep [][]byte
		for done := 0; done < n; done += 1 << 20 {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep))
		time.Sleep(time.Hour)
	case "count":
		// Write an increasing counter to the file arg every 5 ms.
		for i := 0; ; i++ {
			os.WriteFile(arg+".tmp", []byte(strconv.Itoa(i)), 0o600)
			os.Rename(arg+".tmp", arg)
			time.Sleep(5 * time.Millisecond)
		}
	case "forker":
		// Start arg children sleeping, then wait for them.
		n, _ := strconv.Atoi(arg)
		self, _ := os.Executable()
		for i := 0; i < n; i++ {
			c := exec.Command(self)
			c.Env = append(os.Environ(), helperEnv+"=sleep")
			c.Stdin = strings.NewReader("\n")
			c.Start()
		}
		time.Sleep(time.Hour)
	case "sleep":
		time.Sleep(time.Hour)
	}
	os.Exit(0)
}

// helper is a started helper process.
type helper struct {
	cmd   *exec.Cmd
	gate  *os.File
	done  chan struct{}
	state *os.ProcessState
}

// startHelper starts a helper held at its gate; Cleanup kills it.
func startHelper(t *testing.T, mode string) *helper {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stdin = r
	// Its own process group, so cleanup reaches the forker's children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	h := &helper{cmd: cmd, gate: w, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		h.state = cmd.ProcessState
		close(h.done)
	}()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		w.Close()
		<-h.done
	})
	return h
}

// release lets the helper start its work.
func (h *helper) release(t *testing.T) {
	t.Helper()
	if _, err := h.gate.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the helper to exit, up to d; false on timeout.
func (h *helper) wait(d time.Duration) bool {
	select {
	case <-h.done:
		return true
	case <-time.After(d):
		return false
	}
}
