package inspect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ProcStat
		wantErr bool
	}{
		{
			name: "sleep",
			in:   "4242 (sleep) S 4200 4242 4200 34816 4242 4194560 96 0 0 0 3 7 11 13 20 0 1 0 123456 2314240 128 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0",
			want: ProcStat{Comm: "sleep", State: 'S', PPID: 4200, Flags: 4194560, UTime: 3, STime: 7, CUTime: 11, CSTime: 13, Threads: 1, StartTime: 123456, RSSPages: 128},
		},
		{
			name: "comm with spaces and parens",
			in:   "7 (a) b (c)) R 1 7 7 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 4 0 99 0 0 18446744073709551615",
			want: ProcStat{Comm: "a) b (c)", State: 'R', PPID: 1, Flags: 4194304, Threads: 4, StartTime: 99},
		},
		{
			name: "kernel thread",
			in:   "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 3 0 0 18446744073709551615 0",
			want: ProcStat{Comm: "kthreadd", State: 'S', Flags: 2129984, STime: 1, Threads: 1, StartTime: 3},
		},
		{
			name: "ends at rss with a newline",
			in:   "17 (x) S 1 17 17 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 5 0 9\n",
			want: ProcStat{Comm: "x", State: 'S', PPID: 1, UTime: 1, STime: 2, CUTime: 3, CSTime: 4, Threads: 1, StartTime: 5, RSSPages: 9},
		},
		{name: "no comm", in: "12 S 1 2 3", wantErr: true},
		{name: "truncated", in: "12 (x) S 1 2 3", wantErr: true},
		{name: "bad number", in: "12 (x) S one 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseProcStat([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseStat error = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseStat mismatch (-want +got):\n%s", diff)
			}
			if got.Flags&pfKthread != 0 != (tc.name == "kernel thread") {
				t.Errorf("PF_KTHREAD detection wrong for %s", tc.name)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStatus
		wantErr bool
	}{
		{
			name: "nested pid namespaces",
			in:   "Name:\tsleep\nState:\tS (sleeping)\nTgid:\t812\nPid:\t812\nPPid:\t800\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nNStgid:\t812\t7\t1\nNSpid:\t812\t7\t1\nNSpgid:\t800\t1\t0\n",
			want: procStatus{UID: 1000, NSpid: []int{812, 7, 1}},
		},
		{
			name: "host process",
			in:   "Name:\tbash\nUid:\t0\t0\t0\t0\nNSpid:\t1041\n",
			want: procStatus{UID: 0, NSpid: []int{1041}},
		},
		{
			name: "old kernel without NSpid",
			in:   "Name:\tbash\nUid:\t33\t33\t33\t33\n",
			want: procStatus{UID: 33},
		},
		{
			name: "setuid: effective UID wins",
			in:   "Uid:\t1000\t0\t0\t0\nNSpid:\t77\n",
			want: procStatus{UID: 0, NSpid: []int{77}},
		},
		{name: "Uid without effective", in: "Uid:\t1000\n", wantErr: true},
		{name: "no Uid", in: "Name:\tx\nNSpid:\t1\n", wantErr: true},
		{name: "bad NSpid", in: "Uid:\t0\t0\t0\t0\nNSpid:\t1\tx\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatus([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseStatus error = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseStatus mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"args", "sleep\x00infinity\x00", []string{"sleep", "infinity"}},
		{"empty arg kept", "sh\x00-c\x00\x00", []string{"sh", "-c"}},
		{"rewritten argv", "nginx: worker process", []string{"nginx: worker process"}},
		{"kernel thread", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseCmdline([]byte(tc.in))); diff != "" {
				t.Errorf("parseCmdline mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseNSLink(t *testing.T) {
	tests := []struct {
		in     string
		typ    NSType
		ino    uint64
		wantOK bool
	}{
		{"net:[4026531840]", NetNS, 4026531840, true},
		{"mnt:[4026531841]", MntNS, 4026531841, true},
		{"time:[4026531834]", TimeNS, 4026531834, true},
		{"cgroup:[4026531835]", CgroupNS, 4026531835, true},
		{"socket:[12345]", 0, 0, false},
		{"pipe:[12345]", 0, 0, false},
		{"/dev/null", 0, 0, false},
		{"net:[]", 0, 0, false},
		{"net:[12x]", 0, 0, false},
		{"anon_inode:[eventfd]", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			typ, ino, ok := parseNSLink([]byte(tc.in))
			if ok != tc.wantOK || typ != tc.typ || ino != tc.ino {
				t.Errorf("parseNSLink(%q) = %v, %d, %v; want %v, %d, %v", tc.in, typ, ino, ok, tc.typ, tc.ino, tc.wantOK)
			}
		})
	}
}

func TestParseMountInfo(t *testing.T) {
	in := `21 26 0:20 / /proc rw,relatime - proc proc rw
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
612 26 0:4 net:[4026532281] /run/netns/blue rw - nsfs nsfs rw
613 26 254:0 /a\040b /mnt/with\040space rw master:1 - ext4 /dev/vda rw
`
	got, err := ParseMountInfo([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Mount{
		{ID: 21, ParentID: 26, Major: 0, Minor: 20, Root: "/", MountPoint: "/proc", Options: "rw,relatime", FSType: "proc", Source: "proc", SuperOptions: "rw"},
		{ID: 31, ParentID: 30, Major: 0, Minor: 28, Root: "/", MountPoint: "/sys/fs/cgroup/cpu", Options: "rw,relatime", FSType: "cgroup", Source: "cgroup", SuperOptions: "rw,cpu"},
		{ID: 40, ParentID: 30, Major: 0, Minor: 37, Root: "/", MountPoint: "/sys/fs/cgroup/unified", Options: "rw,relatime", FSType: "cgroup2", Source: "cgroup2", SuperOptions: "rw"},
		{ID: 612, ParentID: 26, Major: 0, Minor: 4, Root: "net:[4026532281]", MountPoint: "/run/netns/blue", Options: "rw", FSType: "nsfs", Source: "nsfs", SuperOptions: "rw"},
		{ID: 613, ParentID: 26, Major: 254, Minor: 0, Root: "/a b", MountPoint: "/mnt/with space", Options: "rw", FSType: "ext4", Source: "/dev/vda", SuperOptions: "rw"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseMountInfo mismatch (-want +got):\n%s", diff)
	}
	if ms := nsfsMounts([]byte(in)); len(ms) != 1 || ms[0].MountPoint != "/run/netns/blue" {
		t.Errorf("nsfsMounts = %+v, want the one /run/netns/blue mount", ms)
	}
	for _, bad := range []string{"1 2 3", "x 2 0:1 / /p rw - t s o", "1 2 01 / /p rw - t s o", "1 2 0:1 / /p rw t s o"} {
		if _, err := ParseMountInfo([]byte(bad)); err == nil {
			t.Errorf("ParseMountInfo(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	in := "12:pids:/nscope-test/c1\n4:memory:/process_api/abc\n1:name=systemd:/\n0::/user.slice/x:y\ngarbage\n"
	want := []ProcCgroup{
		{Hierarchy: 12, Controllers: "pids", Path: "/nscope-test/c1"},
		{Hierarchy: 4, Controllers: "memory", Path: "/process_api/abc"},
		{Hierarchy: 1, Controllers: "name=systemd", Path: "/"},
		{Hierarchy: 0, Controllers: "", Path: "/user.slice/x:y"},
	}
	if diff := cmp.Diff(want, parseProcCgroup([]byte(in))); diff != "" {
		t.Errorf("parseProcCgroup mismatch (-want +got):\n%s", diff)
	}
}

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		in            string
		quota, period int64
		wantErr       bool
	}{
		{"max 100000\n", Unlimited, 100000, false},
		{"20000 100000", 20000, 100000, false},
		{"50000 1000000", 50000, 1000000, false},
		{"20000", 0, 0, true},
		{"-5 100000", 0, 0, true},
		{"max 0", 0, 0, true},
		{"max max", 0, 0, true},
		{"", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			q, p, err := ParseCPUMax([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseCPUMax(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if !tc.wantErr && (q != tc.quota || p != tc.period) {
				t.Errorf("ParseCPUMax(%q) = %d, %d; want %d, %d", tc.in, q, p, tc.quota, tc.period)
			}
		})
	}
}

func TestParseLimitValue(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{"v2 max", "max\n", Unlimited, false},
		{"v1 quota none", "-1", Unlimited, false},
		{"v1 memory none 4k pages", "9223372036854771712", Unlimited, false},
		{"v1 memory none 64k pages", "9223372036854710272", Unlimited, false},
		{"bytes", "268435456", 268435456, false},
		{"zero", "0", 0, false},
		{"pids", "100", 100, false},
		{"negative", "-5", 0, true},
		{"suffix is not kernel output", "512M", 0, true},
		{"empty", "", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLimitValue([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseLimitValue(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("ParseLimitValue(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseKeyed(t *testing.T) {
	v2 := "usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\nnr_periods 50\nnr_throttled 10\nthrottled_usec 300000\nnr_bursts 0\nburst_usec 0\n"
	var u Usage
	parseCPUStat([]byte(v2), 2, &u)
	want := Usage{CPUUsageUS: int64Ptr(2000000), NrPeriods: int64Ptr(50), NrThrottled: int64Ptr(10), ThrottledUS: int64Ptr(300000)}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("v2 cpu.stat mismatch (-want +got):\n%s", diff)
	}
	v1 := "nr_periods 7\nnr_throttled 3\nthrottled_time 4500000\n"
	u = Usage{}
	parseCPUStat([]byte(v1), 1, &u)
	want = Usage{NrPeriods: int64Ptr(7), NrThrottled: int64Ptr(3), ThrottledUS: int64Ptr(4500)}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("v1 cpu.stat mismatch (-want +got):\n%s", diff)
	}
	got := map[string]int64{}
	ParseKeyed([]byte("oom_kill_disable 0\nunder_oom 0\noom_kill 2\nbroken\nx notanumber\n"), func(k string, v int64) { got[k] = v })
	if diff := cmp.Diff(map[string]int64{"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 2}, got); diff != "" {
		t.Errorf("ParseKeyed mismatch (-want +got):\n%s", diff)
	}
}

func TestParsePressure(t *testing.T) {
	in := "some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\nfull avg10=0.10 avg60=0.00 avg300=0.00 total=789\n"
	got, err := ParsePressure([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Pressure{
		Some: PressureLine{Avg10: 1.5, Avg60: 0.25, TotalUS: 123456},
		Full: &PressureLine{Avg10: 0.1, TotalUS: 789},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParsePressure mismatch (-want +got):\n%s", diff)
	}
	cpuOnlySome := "some avg10=0.00 avg60=0.00 avg300=0.00 total=5\n"
	if p, err := ParsePressure([]byte(cpuOnlySome)); err != nil || p.Full != nil {
		t.Errorf("ParsePressure(some only) = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "full avg10=0.00", "some avg10=x", "weird avg10=0"} {
		if _, err := ParsePressure([]byte(bad)); err == nil {
			t.Errorf("ParsePressure(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseIOMax(t *testing.T) {
	in := "8:0 rbps=1048576 wbps=max riops=max wiops=120\n254:16 rbps=max wbps=2097152 riops=max wiops=max\n"
	got, err := ParseIOMax([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []IOMax{
		{Major: 8, Minor: 0, RBps: 1048576, WBps: Unlimited, RIOps: Unlimited, WIOps: 120},
		{Major: 254, Minor: 16, RBps: Unlimited, WBps: 2097152, RIOps: Unlimited, WIOps: Unlimited},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseIOMax mismatch (-want +got):\n%s", diff)
	}
	if got, err := ParseIOMax(nil); err != nil || got != nil {
		t.Errorf("ParseIOMax(empty) = %v, %v; want nil, nil", got, err)
	}
	for _, bad := range []string{"8 rbps=1", "8:0 rbps", "8:0 rbps=-1", "8:0 foo=1"} {
		if _, err := ParseIOMax([]byte(bad)); err == nil {
			t.Errorf("ParseIOMax(%q) succeeded, want an error", bad)
		}
	}
}

func TestV1Controllers(t *testing.T) {
	tests := []struct {
		opts  string
		ctrls []string
		name  string
	}{
		{"rw,cpu,cpuacct", []string{"cpu", "cpuacct"}, ""},
		{"rw,xattr,name=systemd", nil, "systemd"},
		{"rw,memory", []string{"memory"}, ""},
		{"rw,release_agent=/x,cpuset,clone_children", []string{"cpuset"}, ""},
	}
	for _, tc := range tests {
		ctrls, name := v1Controllers(tc.opts)
		if diff := cmp.Diff(tc.ctrls, ctrls); diff != "" || name != tc.name {
			t.Errorf("v1Controllers(%q) = %v, %q; want %v, %q", tc.opts, ctrls, name, tc.ctrls, tc.name)
		}
	}
}

func TestCgroupPathLess(t *testing.T) {
	paths := []string{"/a-b", "/a/b", "/", "/a", "/b", "/a/b/c"}
	want := []string{"/", "/a", "/a/b", "/a/b/c", "/a-b", "/b"}
	sortStrings(paths, cgroupPathLess)
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("order mismatch (-want +got):\n%s", diff)
	}
}

func sortStrings(s []string, less func(a, b string) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
