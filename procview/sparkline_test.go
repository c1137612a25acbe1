package procview

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSparkline(t *testing.T) {
	tests := []struct {
		name    string
		samples []float64
		width   int
		scale   float64
		want    string
	}{
		{"empty pads", nil, 4, 1, "    "},
		{"right aligned", []float64{0, 1}, 4, 1, "  ▁█"},
		{"auto scale", []float64{1, 2, 4}, 3, 0, "▂▄█"},
		{"tiny usage still shows", []float64{0.001}, 1, 1, "▂"},
		{"keeps newest", []float64{1, 0, 0, 1}, 2, 1, "▁█"},
		{"over scale clamps", []float64{3}, 1, 1, "█"},
		{"zero width", []float64{1}, 0, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sparkline(tc.samples, tc.width, tc.scale); got != tc.want {
				t.Errorf("Sparkline(%v, %d, %v) = %q, want %q", tc.samples, tc.width, tc.scale, got, tc.want)
			}
		})
	}
}

func TestRing(t *testing.T) {
	r := NewRing(3)
	for _, v := range []float64{1, 2, 3, 4, 5} {
		r.Add(v)
	}
	if diff := cmp.Diff([]float64{3, 4, 5}, r.Values()); diff != "" {
		t.Errorf("ring keeps the last three (-want +got):\n%s", diff)
	}
}

func TestHistory(t *testing.T) {
	h := NewHistory(5)
	s1 := testHost(t, t0, 1_000_000)
	s2 := testHost(t, t0.Add(2e9), 2_000_000)
	s3 := testHost(t, t0.Add(4e9), 4_000_000)
	h.Add(s1, ComputeRates(nil, s1))
	h.Add(s2, ComputeRates(s1, s2))
	h.Add(s3, ComputeRates(s2, s3))
	scope := s3.Cgroup(0, "/system.slice/docker-"+dockerID+".scope")
	if diff := cmp.Diff([]float64{1, 2}, h.CPU(scope)); diff != "" {
		t.Errorf("history of the container (-want +got):\n%s", diff)
	}
	// A cgroup that disappears is forgotten.
	gone := *s3
	gone.Cgroups = nil
	h.Add(reload(t, &gone), nil)
	if got := h.CPU(scope); got != nil {
		t.Errorf("history of a removed cgroup = %v, want nil", got)
	}
}
