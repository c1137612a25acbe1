package control

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dockerStatus is /proc/PID/status of a docker container's init run with
// --user 65534 (captured on this project's test host), cut to the lines
// ParseProcCreds reads and a few it skips.
const dockerStatus = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t65534\t65534\t65534\t65534\nGid:\t0\t0\t0\t0\n" +
	"FDSize:\t64\nGroups:\t0 \nNSpid:\t18895\t1\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n" +
	"CapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n" +
	"Seccomp:\t2\nSeccomp_filters:\t1\nSpeculation_Store_Bypass:\tthread force mitigated\n"

func TestParseProcCreds(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ProcCreds
		wantErr string
	}{
		{name: "docker --user 65534", in: dockerStatus, want: ProcCreds{UID: 65534, GID: 0, Groups: []int64{0},
			Caps: CapSets{Bounding: 0xa80425fb}, Seccomp: 2, SeccompFilters: 1}},
		{name: "root with groups, no_new_privs, old kernel without Seccomp_filters",
			in:   "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t1 2 27\nCapInh:\t0\nCapPrm:\t1ff\nCapEff:\t1ff\nCapBnd:\t1ff\nCapAmb:\t0\nNoNewPrivs:\t1\nSeccomp:\t0\n",
			want: ProcCreds{Groups: []int64{1, 2, 27}, Caps: CapSets{Permitted: 0x1ff, Effective: 0x1ff, Bounding: 0x1ff}, NoNewPrivs: true, SeccompFilters: -1}},
		{name: "effective IDs are taken", in: strings.Replace(dockerStatus, "Uid:\t65534\t65534", "Uid:\t1000\t0", 1),
			want: ProcCreds{UID: 0, GID: 0, Groups: []int64{0}, Caps: CapSets{Bounding: 0xa80425fb}, Seccomp: 2, SeccompFilters: 1}},
		{name: "no CapBnd line", in: strings.Replace(dockerStatus, "CapBnd:\t00000000a80425fb\n", "", 1), wantErr: "no CapBnd"},
		{name: "short Uid line", in: strings.Replace(dockerStatus, "Uid:\t65534\t65534\t65534\t65534", "Uid:\t65534", 1), wantErr: "want 4 IDs"},
		{name: "UID beyond 32 bits", in: strings.Replace(dockerStatus, "Uid:\t65534\t65534", "Uid:\t1\t4294967296", 1), wantErr: "Uid"},
		{name: "capability mask not hex", in: strings.Replace(dockerStatus, "CapEff:\t0000000000000000", "CapEff:\tzz", 1), wantErr: "CapEff"},
		{name: "negative seccomp", in: strings.Replace(dockerStatus, "Seccomp:\t2", "Seccomp:\t-2", 1), wantErr: "Seccomp"},
		{name: "empty", in: "", wantErr: "no Uid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcCreds([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseProcCreds(f *testing.F) {
	f.Add([]byte(dockerStatus))
	f.Add([]byte("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nSeccomp:\t0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseProcCreds(data)
		if err != nil {
			return
		}
		for _, id := range append([]int64{c.UID, c.GID}, c.Groups...) {
			if id < 0 || id > 1<<32-1 {
				t.Errorf("ID %d out of range from %q", id, data)
			}
		}
		if c.Seccomp < 0 {
			t.Errorf("seccomp mode %d from %q", c.Seccomp, data)
		}
	})
}

func TestParseEnviron(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		want        []string
		wantDropped int
	}{
		{name: "docker init", in: "PATH=/usr/bin:/bin\x00HOSTNAME=e56e5ba3116a\x00HOME=/\x00",
			want: []string{"PATH=/usr/bin:/bin", "HOSTNAME=e56e5ba3116a", "HOME=/"}},
		{name: "values may hold anything but NUL", in: "A=b=c\x00B=\x1b]0;x\x07\x00C=\x00",
			want: []string{"A=b=c", "B=\x1b]0;x\x07", "C="}},
		{name: "no name, no =, nscope's own variables are left out",
			in: "=x\x00NOEQUALS\x00_NSCOPE_NSEXEC_CONFIG=9\x00_NSCOPE_NSEXEC=enter\x00OK=1", want: []string{"OK=1"}, wantDropped: 4},
		{name: "empty", in: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, dropped := ParseEnviron([]byte(tc.in))
			if diff := cmp.Diff(tc.want, got); diff != "" || dropped != tc.wantDropped {
				t.Errorf("dropped %d, want %d; (-want +got):\n%s", dropped, tc.wantDropped, diff)
			}
		})
	}
	var many strings.Builder
	for i := range envMax + 10 {
		many.WriteString("V" + strings.Repeat("x", i%7) + "=1\x00")
	}
	if got, dropped := ParseEnviron([]byte(many.String())); len(got) != envMax || dropped != 10 {
		t.Errorf("%d entries: kept %d, dropped %d; want %d kept", envMax+10, len(got), dropped, envMax)
	}
}

func FuzzParseEnviron(f *testing.F) {
	f.Add([]byte("PATH=/bin\x00HOME=/\x00"))
	f.Add([]byte("=\x00_NSCOPE_NSEXEC=x\x00\xff\xfe=1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, _ := ParseEnviron(data)
		for _, kv := range env {
			if err := checkEnvEntry(kv); err != nil {
				t.Errorf("kept %q: %v", kv, err)
			}
		}
	})
}
