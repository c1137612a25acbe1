package counters

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{
			name: "plain",
			in:   "4711 (nginx) S 4700 4711 4711 0 -1 4194560 500 0 0 0 120 35 0 0 20 0 3 0 123456 10000000 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0",
			want: procStat{state: 'S', ppid: 4700, utime: 120, stime: 35, threads: 3, rssPages: 2048},
		},
		{
			name: "command with spaces and parentheses",
			in:   "12 (a) b (c)) R 1 12 12 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 99 0 5 0",
			want: procStat{state: 'R', ppid: 1, utime: 7, stime: 8, threads: 1, rssPages: 5},
		},
		{name: "torn read", in: "12 (sh) S 1 12 12", wantErr: true},
		{name: "no command", in: "12 sh S", wantErr: true},
		{name: "bad number", in: "1 (x) S 0 1 1 0 -1 0 0 0 0 0 xx 0 0 0 20 0 1 0 1 0 1", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseStat error = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(procStat{})); diff != "" {
				t.Errorf("parseStat (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLastPID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
		ok   bool
	}{
		{"loadavg", "0.52 0.58 0.59 2/1180 31337\n", 31337, true},
		{"short", "0.52 0.58", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := lastPID([]byte(tc.in))
			if got != tc.want || ok != tc.ok {
				t.Errorf("lastPID(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("4711 (nginx) S 4700 4711 4711 0 -1 4194560 500 0 0 0 120 35 0 0 20 0 3 0 123456 10000000 2048 1"))
	f.Add([]byte("1 ()) ( R"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Any input: no panic, and success means the state is one byte.
		if st, err := parseStat(data); err == nil && st.state == 0 {
			t.Errorf("parseStat(%q) succeeded without a state", data)
		}
	})
}
