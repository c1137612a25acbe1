package remote

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckArch(t *testing.T) {
	tests := []struct {
		name, goarch, machine string
		ok                    bool
	}{
		{"x86_64", "amd64", "x86_64", true},
		{"arm64 as aarch64", "arm64", "aarch64", true},
		{"amd64 on arm", "amd64", "aarch64", false},
		{"arm64 on x86", "arm64", "x86_64", false},
		{"empty answer", "amd64", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckArch(tc.goarch, tc.machine)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrArch)) {
				t.Errorf("CheckArch(%s, %q) = %v, want ok %v", tc.goarch, tc.machine, err, tc.ok)
			}
		})
	}
}

// TestDialFailureNotInstalled: the install command's mark is read as "no
// copy" with the remote's machine; without the mark, exit 100 is just a
// failure.
func TestDialFailureNotInstalled(t *testing.T) {
	var de *DialError
	err := dialFailure(Target{Host: "db1"}, errors.New("eof"), exitErrorFor(t, exitNotInstalled), "motd\n"+installMark+" aarch64\n")
	if !errors.As(err, &de) || de.machine != "aarch64" {
		t.Fatalf("dialFailure with the mark = %#v, want machine aarch64", err)
	}
	err = dialFailure(Target{Host: "db1"}, errors.New("eof"), exitErrorFor(t, exitNotInstalled), "something else\n")
	if !errors.As(err, &de) || de.machine != "" || !strings.Contains(err.Error(), "db1") {
		t.Fatalf("dialFailure without the mark = %#v", err)
	}
}
