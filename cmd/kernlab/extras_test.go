package main

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLdd(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    []string
		wantErr bool
	}{
		{name: "runc", out: "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibseccomp.so.2 => /lib/x86_64-linux-gnu/libseccomp.so.2 (0x00007f80)\n" +
			"\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f80)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f80)\n",
			want: []string{"/lib/x86_64-linux-gnu/libseccomp.so.2", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"}},
		{name: "static", out: "\tstatically linked\n"},
		{name: "missing library", out: "\tlibfoo.so.1 => not found\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseLdd([]byte(tc.out))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseLdd (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseLdd(f *testing.F) {
	f.Add([]byte("\tlinux-vdso.so.1 (0x1)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x2)\n\t/lib64/ld-linux-x86-64.so.2 (0x3)\n"))
	f.Add([]byte("\tlibfoo.so => not found\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		libs, err := parseLdd(data)
		for _, l := range libs {
			if err == nil && !filepath.IsAbs(l) {
				t.Errorf("relative library path %q from %q", l, data)
			}
		}
	})
}
