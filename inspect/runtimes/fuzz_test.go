package runtimes

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The fuzz targets check that no parser panics or loops on any input (a
// rootless user writes their own podman database and runc states) and
// that what a parser accepts keeps its contract. The seeds are the
// captured fixtures and their damaged copies; `make fuzz` runs each
// target for a while.

// seed adds every fixture file whose path ends with one of suffixes.
func seed(f *testing.F, suffixes ...string) {
	f.Helper()
	err := filepath.Walk("testdata", func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		for _, s := range suffixes {
			if strings.HasSuffix(p, s) {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				f.Add(data)
				break
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// checkLimits fails on a limit no parser should accept.
func checkLimits(t *testing.T, l Limits) {
	for _, v := range []*int64{l.CPUQuotaUS, l.CPUPeriodUS, l.CPUShares, l.MemoryMax, l.PidsMax} {
		if v != nil && *v <= 0 {
			t.Errorf("limit %d accepted", *v)
		}
	}
}

func FuzzParseDockerConfig(f *testing.F) {
	seed(f, "config.v2.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseDockerConfig(data)
		if err != nil {
			return
		}
		if r.ID == "" || r.Name == "" || r.PID < 0 || r.State == "" {
			t.Errorf("accepted %+v", r)
		}
	})
}

func FuzzParseDockerHostConfig(f *testing.F) {
	seed(f, "hostconfig.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := ParseDockerHostConfig(data); err == nil {
			checkLimits(t, l)
		}
	})
}

func FuzzParseOCISpec(f *testing.F) {
	seed(f, "/config.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseOCISpec(data)
		if err != nil {
			return
		}
		checkLimits(t, s.Limits)
		r := RecordFromContainerdBundle("k8s.io", "id", s)
		if r.Name == "" {
			t.Error("containerd record without a name")
		}
		if IsCRIOSpec(s) {
			if r := RecordFromCRIOSpec("0123456789abcdef", s); r.Name == "" || r.Pod == nil {
				t.Errorf("CRI-O record %+v", r)
			}
		}
	})
}

func FuzzParseRuncState(f *testing.F) {
	seed(f, "state.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRuncState(data)
		if err != nil {
			return
		}
		if r.ID == "" || r.PID < 0 {
			t.Errorf("accepted %+v", r)
		}
		checkLimits(t, r.Limits)
	})
}

func FuzzParseCrunStatus(f *testing.F) {
	seed(f, "/status")
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := ParseCrunStatus("c", data); err == nil && r.PID <= 0 {
			t.Errorf("accepted PID %d", r.PID)
		}
	})
}

func FuzzParseLibpodDB(f *testing.F) {
	seed(f, "bolt_state.db")
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, _, err := ParseLibpodDB(data)
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.ID == "" || r.PID < 0 {
				t.Errorf("accepted %+v", r)
			}
		}
	})
}

func FuzzParseStorageContainers(f *testing.F) {
	seed(f, "containers.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseStorageContainers(data)
		if err != nil {
			return
		}
		for _, c := range list {
			if c.ID == "" {
				t.Error("accepted an entry without an ID")
			}
		}
	})
}

func FuzzParseLXCConfig(f *testing.F) {
	seed(f, "/config")
	f.Add([]byte("lxc.cgroup2.cpu.max = 50000 100000\nlxc.cgroup.memory.limit_in_bytes = 9223372036854775807K\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ParseLXCConfig(data); err == nil {
			checkLimits(t, c.Limits)
		}
		_ = ParseLXCSystemConfig(data)
	})
}

func FuzzParseMachine(f *testing.F) {
	seed(f, "nsct-machine", "noname")
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMachine(data)
		if err != nil {
			return
		}
		if m.Name == "" || m.Leader < 0 {
			t.Errorf("accepted %+v", m)
		}
	})
}

func FuzzParseConfigFiles(f *testing.F) {
	seed(f, "storage.conf", "daemon.json", "passwd")
	f.Add([]byte("root = 'a'\nstate = \"b\\\"c\"\n[storage]\ngraphroot=\"/x\" # c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := ParseStorageConfig(data)
		if len(c.GraphRoot) > len(data) || len(c.RunRoot) > len(data) {
			t.Errorf("values longer than the input: %+v", c)
		}
		_ = ParseContainerdConfig(data)
		_, _ = ParseDockerDaemonConfig(data)
		for uid := range ParsePasswdHomes(data) {
			if uid < 0 {
				t.Errorf("negative UID %d", uid)
			}
		}
	})
}

func FuzzParsePIDFile(f *testing.F) {
	f.Add([]byte("13583"))
	f.Add([]byte("42\n"))
	f.Add([]byte("12ab"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pid, err := ParsePIDFile(data)
		if err != nil {
			return
		}
		if want, aerr := strconv.Atoi(string(bytes.TrimSpace(data))); aerr != nil || want != pid || pid <= 0 {
			t.Errorf("accepted %q as %d", data, pid)
		}
	})
}

func FuzzFromCgroupPath(f *testing.F) {
	f.Add("/docker/9f3aebb03d665703f164b971e69668febc58715038e34290e86398759bba7017", false)
	f.Add("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b5c2a1e_8a7d_4e61_9d5f_1c2b3a4d5e6f.slice/cri-containerd-9f3aebb03d665703f164b971e69668febc58715038e34290e86398759bba7017.scope", true)
	f.Add("/libpod_parent/39f73d8342d13f614e21bc0deed17ea900e39d1d803309816f0098c4bb2f4772/conmon", false)
	f.Add(`/machine.slice/machine-a\x2db.scope`, true)
	f.Fuzz(func(t *testing.T, path string, systemd bool) {
		h, ok := FromCgroupPath(path, systemd)
		if !ok {
			return
		}
		if h.Runtime != "" && (h.ID == "" || !strings.HasPrefix(strings.Trim(path, "/"), strings.Trim(h.Path, "/"))) {
			t.Errorf("FromCgroupPath(%q) = %+v", path, h)
		}
	})
}

func FuzzNspawnMachine(f *testing.F) {
	f.Add("systemd-nspawn\x00-D\x00/tmp/r\x00-M\x00web\x00sleep")
	f.Add("systemd-nspawn\x00--image=/i/x.raw\x00--bind\x00/a:/b")
	f.Fuzz(func(t *testing.T, cmdline string) {
		args := strings.Split(cmdline, "\x00")
		name, root, ok := NspawnMachine(args)
		if !ok && (name != "" || root != "") {
			t.Errorf("not nspawn but named %q %q", name, root)
		}
	})
}
