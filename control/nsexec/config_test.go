package nsexec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigRoundTrip(t *testing.T) {
	full := &Config{
		CgroupProcs: []string{"/sys/fs/cgroup/memory/docker/ab/cgroup.procs", "/sys/fs/cgroup/unified/docker/ab/cgroup.procs"},
		HostProc:    true,
		ExactEnv:    true,
		Env:         []string{"PATH=/bin", "EMPTY=", "ODD=\x1b]0;title\x07"},
		Identity: &Identity{UID: 65534, GID: 0, Groups: []uint32{0, 10}, SetGroups: true,
			Caps:       &Caps{Effective: 1, Permitted: 3, Inheritable: 0, Bounding: 0xa80425fb, Ambient: 1},
			NoNewPrivs: true, LSM: &LSMLabel{Module: "apparmor", Label: "docker-default"},
			Seccomp: []SeccompFilter{{Flags: 2, Insns: []byte{1, 2, 3, 4, 5, 6, 7, 8}}, {Insns: make([]byte, 16)}}},
	}
	for _, tc := range []struct {
		name string
		c    *Config
	}{
		{name: "everything", c: full},
		{name: "cgroups only", c: &Config{CgroupProcs: []string{"/a/cgroup.procs"}}},
		{name: "empty exact environment", c: &Config{ExactEnv: true}},
		{name: "user without caps or groups", c: &Config{Identity: &Identity{UID: 1000, GID: 1000}}},
		{name: "nothing", c: &Config{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.c, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigRefuses(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want string
	}{
		{name: "relative cgroup path", c: Config{CgroupProcs: []string{"sys/fs/cgroup/x"}}, want: "not an absolute path"},
		{name: "env without a name", c: Config{Env: []string{"=x"}}, want: "not NAME=VALUE"},
		{name: "env with NUL", c: Config{Env: []string{"A=b\x00c"}}, want: "NUL"},
		{name: "nscope's own variable", c: Config{Env: []string{"_NSCOPE_NSEXEC=init"}}, want: "reserved"},
		{name: "unknown LSM", c: Config{Identity: &Identity{LSM: &LSMLabel{Module: "smack", Label: "x"}}}, want: "unknown security module"},
		{name: "label with newline", c: Config{Identity: &Identity{LSM: &LSMLabel{Module: "selinux", Label: "a\nb"}}}, want: "newline"},
		{name: "filter not whole instructions", c: Config{Identity: &Identity{Seccomp: []SeccompFilter{{Insns: make([]byte, 7)}}}}, want: "instructions of 8 bytes"},
		{name: "filter too long", c: Config{Identity: &Identity{Seccomp: []SeccompFilter{{Insns: make([]byte, 8*(MaxInsns+1))}}}}, want: "instructions of 8 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.Marshal()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Marshal = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseConfigRefusesMalformed(t *testing.T) {
	for name, data := range map[string]string{
		"no header":             "NSX0",
		"truncated header":      "NSX1C\x01\x00",
		"length past the end":   "NSX1C\x10\x00\x00\x00/a",
		"unknown tag":           "NSX1Z\x00\x00\x00\x00",
		"identity without user": "NSX1N\x00\x00\x00\x00",
		"short user record":     "NSX1U\x04\x00\x00\x00\x01\x00\x00\x00",
		"odd groups record":     "NSX1U\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00G\x03\x00\x00\x00abc",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseConfig([]byte(data)); !errors.Is(err, ErrBadConfig) {
				t.Fatalf("ParseConfig = %v, want %v", err, ErrBadConfig)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	seed, _ := (&Config{CgroupProcs: []string{"/a/cgroup.procs"}, ExactEnv: true, Env: []string{"A=1"},
		Identity: &Identity{UID: 1, SetGroups: true, Groups: []uint32{2}, Caps: &Caps{}, NoNewPrivs: true,
			Seccomp: []SeccompFilter{{Insns: make([]byte, 8)}}}}).Marshal()
	f.Add(seed)
	f.Add([]byte("NSX1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		// What parses must marshal again to something that parses the same.
		again, err := c.Marshal()
		if err != nil {
			t.Fatalf("parsed config does not marshal: %v", err)
		}
		c2, err := ParseConfig(again)
		if err != nil {
			t.Fatalf("re-marshalled config does not parse: %v", err)
		}
		if diff := cmp.Diff(c, c2); diff != "" {
			t.Errorf("round trip (-first +second):\n%s", diff)
		}
	})
}
