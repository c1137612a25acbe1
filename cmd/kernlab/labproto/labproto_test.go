package labproto

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMarkerRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    Marker
		line string
	}{
		{"init", Marker{Kind: KindInit, Text: "6.1.0-56-amd64"}, "@@kernlab init 6.1.0-56-amd64"},
		{"setup ok", Marker{Kind: KindSetup, Step: "mount", OK: true}, "@@kernlab setup mount ok"},
		{"setup failed", Marker{Kind: KindSetup, Step: "controllers", Text: "enable controller io: no such device"}, "@@kernlab setup controllers FAIL: enable controller io: no such device"},
		{"begin", Marker{Kind: KindBegin, Package: "github.com/nscope/nscope/inspect"}, "@@kernlab begin github.com/nscope/nscope/inspect"},
		{"end", Marker{Kind: KindEnd, Package: "p", Exit: 1, Seconds: 2.5}, "@@kernlab end p exit=1 seconds=2.50"},
		{"warn", Marker{Kind: KindWarn, Package: "p", Text: "left cgroup /a (removed)"}, "@@kernlab warn p: left cgroup /a (removed)"},
		{"fixture begin", Marker{Kind: KindFixBegin}, "@@kernlab fixture-begin"},
		{"fixture end", Marker{Kind: KindFixEnd, Bytes: 10, SHA256: "ab12"}, "@@kernlab fixture-end bytes=10 sha256=ab12"},
		{"done", Marker{Kind: KindDone, Failures: 3}, "@@kernlab done failures=3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.Format(); got != tc.line {
				t.Errorf("Format = %q, want %q", got, tc.line)
			}
			got, ok, err := ParseMarker(tc.line + "\r\n")
			if !ok || err != nil {
				t.Fatalf("ParseMarker(%q) = ok %v, err %v", tc.line, ok, err)
			}
			if diff := cmp.Diff(tc.m, got); diff != "" {
				t.Errorf("ParseMarker (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarkerMultiLineTextStaysOnOneLine(t *testing.T) {
	line := Marker{Kind: KindSetup, Step: "s", Text: "first\nsecond\n"}.Format()
	if strings.Contains(line, "\n") || !strings.HasSuffix(line, "FAIL: first | second") {
		t.Errorf("Format = %q", line)
	}
}

func TestParseMarkerRejects(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		marker bool // recognised as a marker (then malformed)
	}{
		{"test output", "=== RUN   TestLabX", false},
		{"prefix mid-line", "    lab_test.go:3: @@kernlab done failures=0", false},
		{"end without numbers", "@@kernlab end p exit=x seconds=1", true},
		{"end missing field", "@@kernlab end p exit=0", true},
		{"setup without result", "@@kernlab setup mount", true},
		{"unknown kind", "@@kernlab reboot now", true},
		{"done garbage", "@@kernlab done all", true},
		{"begin without package", "@@kernlab begin", true},
		{"fixture-end bad", "@@kernlab fixture-end bytes=many sha256=x", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ok, err := ParseMarker(tc.line)
			if ok != tc.marker {
				t.Fatalf("ok = %v, want %v", ok, tc.marker)
			}
			if tc.marker && err == nil {
				t.Errorf("malformed marker %q parsed without error", tc.line)
			}
		})
	}
}

func TestManifestJSON(t *testing.T) {
	m := Manifest{Run: "^TestLab", Timeout: Duration(90 * time.Second), Tests: []TestBinary{{Package: "p", Binary: "/lab/bin/p.test", Dir: "/src/p"}}}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"timeout":"1m30s"`) {
		t.Errorf("timeout not encoded as text: %s", data)
	}
	var back Manifest
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"timeout":"soon"}`), &back); err == nil {
		t.Error("bad timeout accepted")
	}
}
