package main

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
			name: "sleep",
			in:   "4242 (sleep) S 4200 4242 4200 0 -1 4194560 95 0 0 0 7 3 2 1 20 0 1 0 123 5632000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
			want: procStat{PID: 4242, Comm: "sleep", State: 'S', PPID: 4200, UTime: 7, STime: 3, CUTime: 2, CSTime: 1},
		},
		{
			name: "comm with spaces and parentheses",
			in:   "17 (a (b) c) R 1 17 17 0 -1 0 0 0 0 0 100 250 0 0 20 0 1 0 5 0 0",
			want: procStat{PID: 17, Comm: "a (b) c", State: 'R', PPID: 1, UTime: 100, STime: 250},
		},
		{
			name: "zombie",
			in:   "99 (sh) Z 98 99 98 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 0",
			want: procStat{PID: 99, Comm: "sh", State: 'Z', PPID: 98, UTime: 1, STime: 1},
		},
		{name: "no comm", in: "17 R 1 17", wantErr: true},
		{name: "cut short before the times", in: "17 (x) S 1 17 17 0 -1 0 0 0 0 0 5", wantErr: true},
		{name: "pid not a number", in: "x7 (x) S 1 17 17 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 0", wantErr: true},
		{name: "negative time", in: "17 (x) S 1 17 17 0 -1 0 0 0 0 0 -1 1 0 0 20 0 1 0 5 0 0", wantErr: true},
		{name: "state of two letters", in: "17 (x) SS 1 17 17 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 0", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseStat(%q) error = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseStat(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("4242 (sleep) S 4200 4242 4200 0 -1 4194560 95 0 0 0 7 3 2 1 20 0 1 0 123 5632000 200"))
	f.Add([]byte("17 (a (b) c) R 1 17 17 0 -1 0 0 0 0 0 100 250 0 0 20 0 1 0 5 0 0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseStat(data)
		if err == nil && st.State == 0 {
			t.Errorf("parseStat(%q) accepted a line without a state", data)
		}
	})
}
