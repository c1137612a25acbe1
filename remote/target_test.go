package remote

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  Target
		str   string
	}{
		{"name", "db1", Target{Host: "db1"}, "db1"},
		{"user and port", "root@db1.example.com:2222", Target{User: "root", Host: "db1.example.com", Port: 2222}, ""},
		{"ipv4", "10.0.0.7:22", Target{Host: "10.0.0.7", Port: 22}, ""},
		{"ipv6 with port", "ops@[fe80::1%eth0]:2200", Target{User: "ops", Host: "fe80::1%eth0", Port: 2200}, ""},
		{"bare ipv6", "::1", Target{Host: "::1"}, ""},
		{"ssh config alias", "lab_guest-2", Target{Host: "lab_guest-2"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTarget(tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseTarget(%q) (-want +got):\n%s", tc.input, diff)
			}
			str := tc.str
			if str == "" {
				str = tc.input
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
		})
	}
}

func TestParseTargetRefuses(t *testing.T) {
	for _, tc := range []struct{ name, input string }{
		{"empty", ""},
		{"an ssh option", "-oProxyCommand=sh"},
		{"an option as user", "-l@host"},
		{"space", "db 1"},
		{"shell", "db1;reboot"},
		{"empty user", "@db1"},
		{"empty port", "db1:"},
		{"port zero", "db1:0"},
		{"port too big", "db1:65536"},
		{"port with sign", "db1:+22"},
		{"port with leading zero", "db1:022"},
		{"unclosed bracket", "[::1:22"},
		{"brackets without ipv6", "[db1]:22"},
		{"newline", "db1\nrm"},
		{"control", "db\x1b1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := ParseTarget(tc.input); !errors.Is(err, ErrBadTarget) {
				t.Errorf("ParseTarget(%q) = %+v, %v; want ErrBadTarget", tc.input, got, err)
			}
		})
	}
}

func TestParseTargetList(t *testing.T) {
	got, err := ParseTargetList([]byte("# on call\ndb1, db2:2222\n\n root@db1 \ndb1\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{{Host: "db1"}, {Host: "db2", Port: 2222}, {User: "root", Host: "db1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseTargetList (-want +got):\n%s", diff)
	}
	if _, err := ParseTargetList([]byte("db1\n-oProxyCommand=x\n")); err == nil || !errors.Is(err, ErrBadTarget) {
		t.Errorf("a bad line: %v, want ErrBadTarget naming the line", err)
	}
	if _, err := ParseTargetList([]byte("# nothing\n")); !errors.Is(err, ErrBadTarget) {
		t.Errorf("no host: %v, want ErrBadTarget", err)
	}
}

// FuzzParseTarget: a target that parses prints back to a string that
// parses to the same target, and never starts with '-'.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"db1", "root@db1:22", "[::1]:2222", "::1", "-oX", "a@b@c", "[x]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		if tg.Host == "" || tg.Host[0] == '-' || (tg.User != "" && tg.User[0] == '-') {
			t.Fatalf("ParseTarget(%q) = %+v: an option-like host or user", s, tg)
		}
		back, err := ParseTarget(tg.String())
		if err != nil || back != tg {
			t.Fatalf("ParseTarget(%q) = %+v; String %q parses to %+v, %v", s, tg, tg.String(), back, err)
		}
	})
}
