package main

import (
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cpioEntry is one parsed newc entry, for checking the writer.
type cpioEntry struct {
	Name         string
	Mode         uint32
	RMaj, RMin   uint32
	Data         string
	HeaderOffset int
}

// readNewc parses a newc archive the way the kernel's initramfs unpacker
// does: 110-byte header, name padded to 4, data padded to 4.
func readNewc(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	for {
		if off+110 > len(b) {
			t.Fatalf("truncated header at %d", off)
		}
		h := string(b[off : off+110])
		if h[:6] != "070701" {
			t.Fatalf("bad magic %q at %d", h[:6], off)
		}
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatalf("field %d of header at %d: %v", i, off, err)
			}
			return uint32(v)
		}
		e := cpioEntry{Mode: field(1), RMaj: field(9), RMin: field(10), HeaderOffset: off}
		size, nameSize := int(field(6)), int(field(11))
		name := b[off+110 : off+110+nameSize]
		if name[len(name)-1] != 0 {
			t.Fatalf("name at %d not NUL-terminated", off)
		}
		e.Name = string(name[:len(name)-1])
		off = align4(off + 110 + nameSize)
		e.Data = string(b[off : off+size])
		off = align4(off + size)
		if e.Name == "TRAILER!!!" {
			if len(b)%512 != 0 {
				t.Errorf("archive length %d is not a multiple of 512", len(b))
			}
			return out
		}
		out = append(out, e)
	}
}

func align4(n int) int { return (n + 3) &^ 3 }

func TestNewcWriter(t *testing.T) {
	var buf bytes.Buffer
	c := newNewcWriter(&buf)
	steps := []error{
		c.Dir("/dev", 0o755),
		c.CharDev("/dev/console", 0o600, 5, 1),
		c.File("/init", 0o755, []byte("#!x\n")),
		c.File("lab/odd", 0o644, []byte("12345")),
		c.Symlink("/bin/sh", "busybox"),
		c.Close(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	got := readNewc(t, buf.Bytes())
	for i := range got {
		got[i].HeaderOffset %= 4 // every header must start 4-aligned
	}
	want := []cpioEntry{
		{Name: "dev", Mode: 0o040755},
		{Name: "dev/console", Mode: 0o020600, RMaj: 5, RMin: 1},
		{Name: "init", Mode: 0o100755, Data: "#!x\n"},
		{Name: "lab/odd", Mode: 0o100644, Data: "12345"},
		{Name: "bin/sh", Mode: 0o120777, Data: "busybox"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("archive (-want +got):\n%s", diff)
	}

	// The system's cpio, when present, must agree.
	if _, err := exec.LookPath("cpio"); err == nil {
		cmd := exec.Command("cpio", "-t", "--quiet")
		cmd.Stdin = bytes.NewReader(buf.Bytes())
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("cpio -t: %v", err)
		}
		if diff := cmp.Diff("dev\ndev/console\ninit\nlab/odd\nbin/sh\n", string(out)); diff != "" {
			t.Errorf("cpio -t listing (-want +got):\n%s", diff)
		}
	}
}

func TestNewcWriterRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", "/", "a\x00b"} {
		c := newNewcWriter(&bytes.Buffer{})
		if err := c.File(name, 0o644, nil); err == nil || !strings.Contains(err.Error(), "bad name") {
			t.Errorf("File(%q) error = %v, want a bad name error", name, err)
		}
	}
}
