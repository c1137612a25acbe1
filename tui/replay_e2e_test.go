package tui

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
	"github.com/nscope/nscope/record"
)

// TestBinaryReplayBadInput: --replay refuses what it cannot open, naming
// the directory, and the flags it cannot be combined with.
func TestBinaryReplayBadInput(t *testing.T) {
	bin := buildBinary(t)
	empty := t.TempDir()
	notRec := t.TempDir()
	if err := os.WriteFile(filepath.Join(notRec, "20260301T120000.000000000Z.nsrec"), []byte("not a recording at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := writeRecording(t, replayScene(t), 3*time.Second)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantMsg  string
	}{
		{"missing directory", []string{"--replay", "/nonexistent/rec"}, 1, "--replay: read recording directory: open /nonexistent/rec: no such file or directory"},
		{"empty directory", []string{"--replay", empty}, 1, "--replay: " + empty + " holds no recording (no *.nsrec files)"},
		{"not a recording", []string{"--replay", notRec}, 1, "--replay: " + notRec + " holds no readable record"},
		{"with --load", []string{"--replay", rec, "--load", "x.json"}, 2, "--replay and --load cannot be combined"},
		{"with --interval", []string{"--replay", rec, "--interval", "2s"}, 2, "--replay and --interval cannot be combined"},
		{"with -H", []string{"--replay", rec, "-H", "somehost"}, 2, "--replay and -H cannot be combined"},
		{"--at alone", []string{"--at", "03:12"}, 2, "--at 03:12 needs --replay DIR"},
		{"--at not a time", []string{"--replay", rec, "--at", "soon"}, 2, `--at: time "soon": want RFC 3339`},
		{"--at before", []string{"--replay", rec, "--at", "2026-03-01T11:00:00Z"}, 1, "before the recording starts"},
		{"--at in the gap", []string{"--replay", rec, "--at", "2026-03-01T12:00:15Z"}, 1, "the recording has a gap from"},
		{"no terminal", []string{"--replay", rec}, 2, "the TUI needs a terminal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(os.Environ(), "TZ=UTC")
			out, err := cmd.CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			}
			if code != tc.wantCode || !strings.Contains(string(out), tc.wantMsg) {
				t.Errorf("nscope %s: exit %d, output %q; want exit %d and %q", strings.Join(tc.args, " "), code, out, tc.wantCode, tc.wantMsg)
			}
		})
	}
}

// TestEndToEndReplay records a short real scene with "nscope record": a
// process started in a test cgroup, the cgroup's pids.max changed, the
// process killed. Then "nscope --replay" opens at the first record with
// the process and steps with ] and [: the process is there, the limit
// changes from 100 to 42, the process is gone, and back again. Needs
// root (to record every process and to make a cgroup).
func TestEndToEndReplay(t *testing.T) {
	testutil.RequireRoot(t, "records the host and writes a test cgroup's pids.max")
	bin := buildBinary(t)
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil || layout.ForController("pids") == nil {
		t.Skip("needs the pids controller")
	}
	pids := layout.ForController("pids")
	name := testutil.UniqueName("nscope-replay")
	rel := filepath.Join(testutil.OwnCgroups(t)[pids.ID], name)
	cgDir := filepath.Join(pids.Mount, rel)
	testutil.MakeCgroup(t, cgDir)
	if _, err := os.Stat(filepath.Join(cgDir, "pids.max")); err != nil {
		t.Skipf("the test cgroup has no pids.max (the pids controller is not enabled below this test's cgroup): %v", err)
	}
	testutil.WriteCgroupFile(t, cgDir, "pids.max", "100")

	dir := filepath.Join(t.TempDir(), "rec")
	// A full scan every second, so that the process and the limit, which
	// a counter refresh does not see, show in the next record.
	recorder := exec.Command(bin, "record", "--interval", "1s", "--full-every", "1s", "--quiet", dir)
	recorder.Stderr = os.Stderr
	testutil.StartGroup(t, recorder)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = recorder.Process.Signal(syscall.SIGINT)
			_ = recorder.Wait()
		}
	}
	defer stop()

	// latest returns the newest state recorded.
	latest := func() *inspect.Snapshot {
		rec, err := record.Open(dir)
		if err != nil {
			return nil
		}
		defer rec.Close()
		s, err := rec.Snapshot(len(rec.Entries()) - 1)
		if err != nil {
			return nil
		}
		return s
	}
	waitRecorded := func(what string, ok func(s *inspect.Snapshot) bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			if s := latest(); s != nil && ok(s) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the recorder did not record %s within 60 s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	limitIs := func(s *inspect.Snapshot, v int64) bool {
		c := s.Cgroup(pids.ID, rel)
		return c != nil && c.Limits.PidsMax != nil && *c.Limits.PidsMax == v
	}
	waitRecorded("the test cgroup", func(s *inspect.Snapshot) bool { return limitIs(s, 100) })

	// The process: a sleep with an argument no other process has.
	arg := fmt.Sprintf("%d.%04d", 400000+os.Getpid()%100000, rand.IntN(10000))
	sleep := exec.Command("sleep", arg)
	pid := testutil.StartGroup(t, sleep)
	testutil.Place(t, pid, cgDir)
	waitRecorded("the process", func(s *inspect.Snapshot) bool { return s.Process(pid) != nil })
	testutil.WriteCgroupFile(t, cgDir, "pids.max", "42")
	waitRecorded("the new limit", func(s *inspect.Snapshot) bool { return limitIs(s, 42) })
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = sleep.Wait()
	waitRecorded("the process gone", func(s *inspect.Snapshot) bool { return s.Process(pid) == nil })
	stop()

	// Where the scene is in the recording: the first record with the
	// process, the first with the new limit, the first without the
	// process after it.
	rec, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	withProc, newLimit, gone := -1, -1, -1
	for i := range rec.Entries() {
		s, err := rec.Snapshot(i)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		switch {
		case withProc < 0 && s.Process(pid) != nil:
			withProc = i
		case withProc >= 0 && newLimit < 0 && limitIs(s, 42):
			newLimit = i
		case newLimit >= 0 && gone < 0 && s.Process(pid) == nil:
			gone = i
		}
	}
	at := rec.Entries()[withProc].Time
	rec.Close()
	if withProc < 0 || newLimit <= withProc || gone <= newLimit {
		t.Fatalf("the recording does not hold the scene in order: process from record %d, limit 42 from %d, process gone from %d", withProc, newLimit, gone)
	}
	if s := latestAt(t, dir, withProc); !limitIs(s, 100) {
		t.Fatalf("the first record with the process has the new limit already")
	}

	tm := newTmuxTerm(t, 160, 40)
	tm.sendText(bin + " --replay " + dir + " --at " + at.Format(time.RFC3339Nano))
	tm.send("Enter")
	tm.waitText(fmt.Sprintf("recording rec · %d/", withProc+1))
	tm.waitText(" at " + at.Local().Format("15:04:05") + " │ ")
	tm.send("/")
	tm.sendText(arg)
	tm.send("Enter")
	tm.waitText("sleep " + arg)
	tm.send("3")
	tm.send("/")
	tm.sendText(name)
	tm.send("Enter")
	tm.waitText("─ cgroup " + rel)
	pidsCell := func(limit string) func(string) bool {
		return func(s string) bool {
			for _, l := range strings.Split(s, "\n") {
				if strings.Contains(l, name) && strings.Contains(l, "/"+limit+" ") {
					return true
				}
			}
			return false
		}
	}
	tm.waitFor("the limit 100 in the cgroup's row", pidsCell("100"))
	for range newLimit - withProc {
		tm.send("]")
	}
	tm.waitText(fmt.Sprintf("recording rec · %d/", newLimit+1))
	tm.waitFor("the limit 42 in the cgroup's row", pidsCell("42"))
	tm.send("2")
	tm.waitText("sleep " + arg)
	for range gone - newLimit {
		tm.send("]")
	}
	tm.waitText(fmt.Sprintf("recording rec · %d/", gone+1))
	tm.waitText("nothing matches the filter")
	tm.send("[")
	tm.waitText(fmt.Sprintf("recording rec · %d/", gone))
	tm.waitText("sleep " + arg)
	// A change is refused: this is a recording.
	tm.send("K")
	tm.waitText("this is a recording (" + dir + ")")
	tm.send("q")
	checkRestored(t, tm)
}

// latestAt returns record i of the recording in dir.
func latestAt(t *testing.T, dir string, i int) *inspect.Snapshot {
	t.Helper()
	rec, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	s, err := rec.Snapshot(i)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
