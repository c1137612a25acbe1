package inspect

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The fuzz targets check that no parser panics or loops on any input and
// that what a parser accepts is consistent with its contract. Seeds are
// real kernel output; `make fuzz` runs each target for a while.

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("4242 (sleep) S 4200 4242 4200 34816 4242 4194560 96 0 0 0 3 7 0 0 20 0 1 0 123456 2314240 128 18446744073709551615 1 1 0"))
	f.Add([]byte("7 (a) b (c)) R 1 7 7 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 4 0 99 0 0 1"))
	f.Add([]byte("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 3 0 0 18446744073709551615 0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseProcStat(data)
		if err != nil {
			return
		}
		if st.State == 0 || !bytes.Contains(data, []byte(st.Comm)) {
			t.Errorf("accepted %q with state %q comm %q", data, st.State, st.Comm)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("Name:\tsleep\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t812\t7\t1\n"))
	f.Add([]byte("Uid:\t0\t0\t0\t0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseStatus(data)
		if err != nil {
			return
		}
		if !bytes.Contains(data, []byte("Uid:")) {
			t.Errorf("accepted %q without a Uid line (got %+v)", data, st)
		}
	})
}

func FuzzParseCmdline(f *testing.F) {
	f.Add([]byte("sleep\x00infinity\x00"))
	f.Add([]byte("nginx: worker process"))
	f.Fuzz(func(t *testing.T, data []byte) {
		args := parseCmdline(data)
		total := 0
		for _, a := range args {
			total += len(a)
		}
		if total > len(data) {
			t.Errorf("args longer than input: %q -> %q", data, args)
		}
	})
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add([]byte("21 26 0:20 / /proc rw,relatime - proc proc rw\n612 26 0:4 net:[4026532281] /run/netns/blue rw shared:5 - nsfs nsfs rw\n"))
	f.Add([]byte("613 26 254:0 /a\\040b /mnt/with\\040space rw master:1 - ext4 /dev/vda rw\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mounts, err := ParseMountInfo(data)
		if err != nil {
			return
		}
		if lines := bytes.Count(data, []byte{'\n'}) + 1; len(mounts) > lines {
			t.Errorf("%d mounts from %d lines", len(mounts), lines)
		}
		for _, m := range mounts {
			if m.FSType == "" {
				t.Errorf("mount without a file system type from %q", data)
			}
		}
	})
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add([]byte("12:pids:/nscope-test/c1\n1:name=systemd:/\n0::/user.slice/x:y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, pc := range parseProcCgroup(data) {
			if !bytes.Contains(data, []byte(pc.Path)) {
				t.Errorf("path %q not in input %q", pc.Path, data)
			}
		}
	})
}

func FuzzParseNSLink(f *testing.F) {
	f.Add([]byte("net:[4026531840]"))
	f.Add([]byte("pid:[4026531836]"))
	f.Add([]byte("socket:[1]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, _, ok := parseNSLink(data)
		if ok && !bytes.HasPrefix(data, []byte(typ.String()+":[")) {
			t.Errorf("accepted %q as %s", data, typ)
		}
	})
}

func FuzzParseCPUMax(f *testing.F) {
	f.Add([]byte("max 100000\n"))
	f.Add([]byte("20000 100000"))
	f.Add([]byte("-1 5"))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, p, err := ParseCPUMax(data)
		if err != nil {
			return
		}
		if p <= 0 || (q < 0 && q != Unlimited) {
			t.Errorf("ParseCPUMax(%q) accepted quota %d period %d", data, q, p)
		}
	})
}

func FuzzParseLimitValue(f *testing.F) {
	for _, s := range []string{"max\n", "-1", "9223372036854771712", "268435456", "0", "512M"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseLimitValue(data)
		if err == nil && v < 0 && v != Unlimited {
			t.Errorf("ParseLimitValue(%q) = %d", data, v)
		}
	})
}

func FuzzParsePressure(f *testing.F) {
	f.Add([]byte("some avg10=1.50 avg60=0.25 avg300=0.00 total=123456\nfull avg10=0.10 avg60=0.00 avg300=0.00 total=789\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePressure(data)
		if err == nil && p == nil {
			t.Errorf("ParsePressure(%q) returned nil without an error", data)
		}
	})
}

func FuzzParseIOMax(f *testing.F) {
	f.Add([]byte("8:0 rbps=1048576 wbps=max riops=max wiops=120\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ParseIOMax(data)
		if err != nil {
			return
		}
		for _, m := range lines {
			for _, v := range []int64{m.RBps, m.WBps, m.RIOps, m.WIOps} {
				if v < 0 && v != Unlimited {
					t.Errorf("ParseIOMax(%q) gave %d", data, v)
				}
			}
		}
	})
}

func FuzzForEachDirent(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 24, 0, 4, 'a', 'b', 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		forEachDirent(data, func(name []byte, typ uint8) { n++ })
		if n > len(data)/19 {
			t.Errorf("%d records from %d bytes", n, len(data))
		}
	})
}

// FuzzAppendJSONString checks the hand-written string encoder against
// encoding/json: the same string must decode from both.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"sleep", "a\"b\\c", "<&>", "\x00\x1f\t\n", "\u2028", "\xff\xfe", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("appendJSONString(%q) is not JSON: %v", s, err)
		}
		std, _ := json.Marshal(s)
		_ = json.Unmarshal(std, &want)
		if got != want {
			t.Errorf("appendJSONString(%q) decodes to %q, encoding/json to %q", s, got, want)
		}
	})
}
