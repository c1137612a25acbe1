package inspect

import (
	"bytes"
	"strings"
	"testing"
)

// Fuzz targets of the namespace content parsers; seeds are real kernel
// output.

func FuzzParseIDMap(f *testing.F) {
	f.Add([]byte("         0       1000          1\n"))
	f.Add([]byte("         0          0 4294967295\n"))
	f.Add([]byte("0 100000 65536\n65536 1000 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseIDMap(data)
		if err != nil {
			return
		}
		for _, r := range m {
			if r.Count <= 0 || r.Inside < 0 || r.Outside < 0 || r.Count > 1<<32-1 {
				t.Errorf("accepted %q with range %+v", data, r)
			}
		}
		// The sentence and composition take any accepted map.
		_ = IDMapSentence("uid", m, "outside")
		for _, r := range ComposeToParent(m, m) {
			if r.Count <= 0 {
				t.Errorf("composition of %q gave %+v", data, r)
			}
		}
	})
}

func FuzzParseTimensOffsets(f *testing.F) {
	f.Add([]byte("monotonic           0         0\nboottime            0         0\n"))
	f.Add([]byte("monotonic 3600 0\nboottime -86400 999999999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseTimensOffsets(data)
		if err != nil {
			return
		}
		if got.Summary == "" {
			t.Errorf("accepted %q without a summary", data)
		}
	})
}

func FuzzParseSysVIPC(f *testing.F) {
	f.Add([]byte("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n1234 0 644 4096 812 0 0 0 0 0 0 0 0 1700000000 0 0\n"), "size")
	f.Add([]byte("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n"), "qnum")
	f.Fuzz(func(t *testing.T, data []byte, col string) {
		n, total, err := ParseSysVIPC(data, col)
		if err != nil {
			return
		}
		if n < 0 || total < 0 || n > bytes.Count(data, []byte{'\n'})+1 {
			t.Errorf("ParseSysVIPC(%q, %q) = %d, %d", data, col, n, total)
		}
	})
}

func FuzzParseMountEntries(f *testing.F) {
	f.Add([]byte("22 27 0:21 / /proc rw,relatime shared:5 - proc proc rw\n27 1 254:0 / / rw master:1 - ext4 /dev/vda rw\n"))
	f.Add([]byte("30 27 0:30 / /mnt/with\\040space rw shared:7 master:2 - tmpfs tmp rw\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseMountEntries(data)
		if err != nil {
			return
		}
		p := CountPropagation(got)
		if p.Shared+p.Slave+p.SharedSlave+p.Private+p.Unbindable != len(got) {
			t.Errorf("propagation %+v does not add up to %d mounts", p, len(got))
		}
		added, removed := DiffMounts(got, got)
		if len(added)+len(removed) != 0 {
			t.Errorf("a mount list differs from itself: %+v %+v", added, removed)
		}
	})
}

func FuzzCgroupNSRootOf(f *testing.F) {
	f.Add("/sub", "/docker/abc/sub")
	f.Add("/../x", "/x")
	f.Fuzz(func(t *testing.T, inside, outside string) {
		root, ok := CgroupNSRootOf(inside, outside)
		if !ok {
			return
		}
		r, o := splitPath(root), splitPath(outside)
		if !strings.HasPrefix(root, "/") || len(r) > len(o) || strings.Join(o[:len(r)], "/") != strings.Join(r, "/") {
			t.Errorf("CgroupNSRootOf(%q, %q) = %q, not a prefix of the outside path", inside, outside, root)
		}
	})
}
