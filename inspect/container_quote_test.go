package inspect

import (
	"strings"
	"testing"
)

func TestQuoteName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "docker:web", "docker:web"},
		{"unicode letters print", "podman:café", "podman:café"},
		{"newline", "docker:a\nb", `"docker:a\nb"`},
		{"escape", "docker:\x1b[31mred", `"docker:\x1b[31mred"`},
		{"bidi override", "lxc:\u202eexe", `"lxc:\u202eexe"`},
		{"invalid utf-8", "runc:\xff", `"runc:\xff"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := QuoteName(tc.in); got != tc.want {
				t.Errorf("QuoteName(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
	err := &AmbiguousContainerError{Query: "web", Candidates: []*Container{{Runtime: "docker", Name: "a\nb"}, {Runtime: "podman", Name: "web"}}}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, `"docker:a\nb", podman:web`) {
		t.Errorf("ambiguous error %q: want the candidates on one line, the hostile one quoted", msg)
	}
}
