package inspect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/procfs"
)

// statLine is a full /proc/PID/stat line (52 fields, a kernel 6.x
// process), as both parsers need it.
const statLine = "4242 (nginx: worker) S 4200 4242 4200 0 -1 4194624 1893 0 0 0 371 112 0 0 20 0 1 0 123456 " +
	"11780096 2187 18446744073709551615 94231548805120 94231549786929 140727426015680 0 0 0 0 16781312 " +
	"134234626 0 0 0 17 1 0 0 0 0 0 94231550100512 94231550185584 94231577235456 140727426023103 " +
	"140727426023129 140727426023129 140727426027497 0\n"

// statFixture writes statLine as process 4242's stat under a temporary
// procfs root and returns the file, and the process as procfs sees it.
func statFixture(tb testing.TB) (string, procfs.Proc) {
	tb.Helper()
	root := tb.TempDir()
	path := filepath.Join(root, "4242", "stat")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(statLine), 0o644); err != nil {
		tb.Fatal(err)
	}
	fs, err := procfs.NewFS(root)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := fs.Proc(4242)
	if err != nil {
		tb.Fatal(err)
	}
	return path, p
}

// BenchmarkProcStatParsers compares nscope's /proc/PID/stat parser, the
// one on the refresh hot path, with prometheus/procfs's Proc.Stat, which
// scans the same fields with fmt.Fscan. Both read the same file, a copy
// of a stat line in a temporary directory (so the kernel's cost of
// formatting /proc, the same for both, does not hide the parsers'), and
// parse it; "read" is the read alone, to subtract.
func BenchmarkProcStatParsers(b *testing.B) {
	path, p := statFixture(b)
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := os.ReadFile(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("nscope", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if st, err := ParseProcStat(data); err != nil || st.UTime != 371 {
				b.Fatalf("ParseProcStat: %+v, %v", st, err)
			}
		}
	})
	b.Run("procfs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if st, err := p.Stat(); err != nil || st.UTime != 371 {
				b.Fatalf("procfs Stat: %+v, %v", st, err)
			}
		}
	})
}

// TestProcStatParsersAgree checks that the benchmark compares like with
// like: both parsers read the same values from statLine.
func TestProcStatParsersAgree(t *testing.T) {
	_, p := statFixture(t)
	theirs, err := p.Stat()
	if err != nil {
		t.Fatal(err)
	}
	ours, err := ParseProcStat([]byte(statLine))
	if err != nil {
		t.Fatal(err)
	}
	if ours.Comm != theirs.Comm || ours.PPID != theirs.PPID || ours.UTime != uint64(theirs.UTime) || ours.STime != uint64(theirs.STime) ||
		ours.Threads != theirs.NumThreads || ours.StartTime != theirs.Starttime || ours.RSSPages != int64(theirs.RSS) || string(ours.State) != theirs.State {
		t.Errorf("the parsers disagree on %q:\nnscope %+v\nprocfs %+v", statLine, ours, theirs)
	}
}
