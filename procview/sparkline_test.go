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
	if diff := cmp.Diff([]float64{0.5, 0.5}, h.Quota(scope)); diff != "" {
		t.Errorf("quota at each sample (-want +got):\n%s", diff)
	}
	// A cgroup that disappears is forgotten.
	gone := *s3
	gone.Cgroups = nil
	h.Add(reload(t, &gone), nil)
	if got := h.CPU(scope); got != nil {
		t.Errorf("history of a removed cgroup = %v, want nil", got)
	}
}

func TestCPUScale(t *testing.T) {
	tests := []struct {
		name            string
		samples, quotas []float64
		hostCPUs        int
		want            float64
	}{
		{"idle is one core", []float64{0, 0.01}, nil, 4, 1},
		{"below a core", []float64{0.98, 0.2}, []float64{0, 0.2}, 4, 1},
		{"a quota above use", []float64{0.5}, []float64{2.5}, 4, 3},
		{"capped at the host", []float64{1.5}, []float64{100}, 2, 2},
		{"host unknown", []float64{3.2}, nil, 0, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CPUScale(tc.samples, tc.quotas, tc.hostCPUs); got != tc.want {
				t.Errorf("CPUScale = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSparkChartAcrossQuotaChange: 0.98 cores, then limited to 0.20 and
// using it, then the quota at 0.5 while idle. The scale stays one core:
// the bars drop at the change, the quota line is drawn where the bars
// stay below it, and the part drawn before the change is the same after.
func TestSparkChartAcrossQuotaChange(t *testing.T) {
	samples := []float64{0.98, 0.98, 0.2, 0.2, 0, 0}
	quotas := []float64{0, 0, 0.2, 0.2, 0.5, 0.5}
	got := SparkChart(samples, quotas, 8, 3, 1)
	want := []string{
		"  ██    ",
		"  ██  ┈┈",
		"  ██▅▅▁▁",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chart (-want +got):\n%s", diff)
	}
	before := SparkChart(samples[:2], quotas[:2], 2, 3, CPUScale(samples[:2], quotas[:2], 4))
	after := SparkChart(samples, quotas, 6, 3, CPUScale(samples, quotas, 4))
	for r := range before {
		if []rune(after[r])[0] != []rune(before[r])[0] || []rune(after[r])[1] != []rune(before[r])[1] {
			t.Errorf("row %d: the past is drawn %q before the change and %q after", r, before[r], after[r][:2])
		}
	}
	if diff := cmp.Diff([]bool{false, false, true, true, false, false}, AtQuota(samples, quotas)); diff != "" {
		t.Errorf("AtQuota (-want +got):\n%s", diff)
	}
	if got := SparkChart(nil, nil, 0, 3, 1); got != nil {
		t.Errorf("zero width: %q", got)
	}
}
