package control

import (
	"errors"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestNonRootIsRefused(t *testing.T) {
	if got := nonRootReason(0); got != "" {
		t.Errorf("root: %q, want no reason", got)
	}
	reason := nonRootReason(1000)
	if !strings.Contains(reason, "not running as root (euid 1000)") {
		t.Errorf("euid 1000: %q", reason)
	}
	// The reason is what Apply refuses with, before touching anything.
	fsys, layout := NewFakeHost(inspect.CgroupUnified)
	fsys.AddCgroup(layout, "/app")
	ed := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), ReadOnly(reason))
	p := planFor(t, ed, "/app", mustLimits(t, "", "", "4"))
	if _, err := ed.Apply(t.Context(), p); !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "euid 1000") {
		t.Fatalf("Apply = %v", err)
	}
	if len(fsys.Writes()) != 0 {
		t.Errorf("wrote %v", fsys.Writes())
	}
}

// BenchmarkPlan measures a preview a UI makes on every keystroke of an
// edit dialog: three limits on a v1 host, reading the old values.
func BenchmarkPlan(b *testing.B) {
	fsys, layout := NewFakeHost(inspect.CgroupLegacy)
	fsys.AddCgroup(layout, "/app/web")
	ed := New(layout, WithFS(fsys), WithJournalDir(b.TempDir()))
	target, _ := ed.Resolve("/app/web")
	l, err := ParseLimits("0.5", "512M", "100")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ed.Plan(target, l); err != nil {
			b.Fatal(err)
		}
	}
}
