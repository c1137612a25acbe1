package events

import (
	"os/exec"
	"testing"
	"time"
)

func TestUIDConnLive(t *testing.T) {
	requireRoot(t)
	c, err := openUIDConn()
	if err != nil {
		t.Skipf("no filtered proc connector: %v", err)
	}
	got := make(chan procRecord, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.run(func(r procRecord, lost bool) {
			if !lost {
				got <- r
			}
		})
	}()
	defer func() { c.close(); <-done }()
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "0.2")
	if err := cmd.Start(); err != nil {
		t.Skipf("setpriv: %v", err)
	}
	pid := cmd.Process.Pid
	cmd.Wait()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case r := <-got:
			t.Logf("uid record %+v", r)
			if r.pid == pid && r.uid == 65534 && r.euid == 65534 {
				return
			}
		case <-deadline:
			t.Fatalf("no UID record for %d", pid)
		}
	}
}
