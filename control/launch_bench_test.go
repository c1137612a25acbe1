package control

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkLaunchTrue measures a whole launch of true: make the cgroup in
// every hierarchy, clone the init into six new namespaces, place it, mount
// /proc, bring lo up, run true, reap, remove the cgroups.
func BenchmarkLaunchTrue(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: creates namespaces and cgroups")
	}
	l := NewLauncher(WithLaunchEditorOptions(WithJournalDir(b.TempDir())))
	parent := fmt.Sprintf("nscope-bench-%d-%d", os.Getpid(), rand.Uint32())
	cgs, err := l.planCgroups(parent, "x")
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, cg := range cgs {
			_ = syscall.Rmdir(filepath.Dir(cg.Dir))
		}
	}()
	b.ResetTimer()
	for b.Loop() {
		lc, err := l.Launch(LaunchRequest{Command: []string{"true"}, CgroupParent: parent, Name: "run"})
		if err != nil {
			b.Fatal(err)
		}
		lc.SetStdout(io.Discard)
		if err := lc.Run(); err != nil {
			b.Fatal(err)
		}
		if err := lc.CleanupErr(); err != nil {
			b.Fatal(err)
		}
	}
}
