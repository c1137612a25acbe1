package procview

import (
	"math"
	"strings"
)

// sparkBlocks are the eight heights of a sparkline cell, lowest first.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// quotaMark is drawn where a chart's bar stays below the quota line.
const quotaMark = '┈'

// Sparkline draws the last width samples as a row of block characters,
// scaled so that scale is a full block (scale <= 0 scales to the largest
// sample). Fewer samples than width are right-aligned and padded with
// spaces, so the newest sample is always in the last cell. A zero sample
// draws the lowest block, so an idle but measured cgroup is visible.
func Sparkline(samples []float64, width int, scale float64) string {
	if width <= 0 {
		return ""
	}
	if len(samples) > width {
		samples = samples[len(samples)-width:]
	}
	if scale <= 0 {
		for _, v := range samples {
			scale = max(scale, v)
		}
	}
	var b strings.Builder
	b.Grow(width * 3)
	for range width - len(samples) {
		b.WriteByte(' ')
	}
	for _, v := range samples {
		i := 0
		if scale > 0 && v > 0 {
			i = int(v / scale * float64(len(sparkBlocks)-1))
			i = min(max(i, 0), len(sparkBlocks)-1)
			if i == 0 {
				// Any real usage shows at least the second step.
				i = 1
			}
		}
		b.WriteRune(sparkBlocks[i])
	}
	return b.String()
}

// CPUScale is the full scale of a CPU chart, in cores: the smallest whole
// number of cores that holds every sample and every quota, at least one,
// and no more than the host's CPUs when hostCPUs is known and at least
// one. The scale does not follow the quota, so a change of the quota
// shows as a drop or a rise of the bars instead of redrawing the past.
func CPUScale(samples, quotas []float64, hostCPUs int) float64 {
	top := 0.0
	for _, v := range samples {
		top = max(top, v)
	}
	for _, q := range quotas {
		top = max(top, q)
	}
	scale := max(1, math.Ceil(top-1e-9))
	if hostCPUs > 0 {
		scale = min(scale, float64(hostCPUs))
	}
	return scale
}

// AtQuota reports, per sample, whether it used at least 90% of the quota
// the cgroup had then (quotas[i] > 0): the refreshes it spent at its
// limit, which a one-line sparkline colours.
func AtQuota(samples, quotas []float64) []bool {
	out := make([]bool, len(samples))
	for i, v := range samples {
		if i < len(quotas) && quotas[i] > 0 && v >= 0.9*quotas[i] {
			out[i] = true
		}
	}
	return out
}

// SparkChart draws the last width samples as a chart height rows high
// (returned top row first), each row eight levels, scale (cores) the top
// of the chart. quotas, in step with samples (0 for none), are drawn as a
// dotted line at each sample's own quota where the bar stays below it, so
// a lowered quota shows as a step of the line and a drop of the bars. As
// in Sparkline, samples are right-aligned, a zero sample fills the lowest
// level and any usage at least two.
func SparkChart(samples, quotas []float64, width, height int, scale float64) []string {
	if width <= 0 || height <= 0 {
		return nil
	}
	if len(samples) > width {
		cut := len(samples) - width
		samples = samples[cut:]
		if len(quotas) > cut {
			quotas = quotas[cut:]
		} else {
			quotas = nil
		}
	}
	if scale <= 0 {
		scale = CPUScale(samples, quotas, 0)
	}
	levels := 8 * height
	rows := make([][]rune, height)
	for r := range rows {
		rows[r] = []rune(strings.Repeat(" ", width))
	}
	pad := width - len(samples)
	for i, v := range samples {
		filled := 1
		if v > 0 {
			filled = min(levels, max(2, int(math.Round(v/scale*float64(levels)))))
		}
		markRow := -1
		if i < len(quotas) && quotas[i] > 0 {
			if ql := quotas[i] / scale * float64(levels); ql < float64(levels) {
				markRow = int(ql) / 8
			}
		}
		for r := 0; r < height; r++ { // r = 0 is the bottom row
			cell := ' '
			switch lo := r * 8; {
			case filled >= lo+8:
				cell = '█'
			case filled > lo:
				cell = sparkBlocks[filled-lo-1]
			case r == markRow:
				cell = quotaMark
			}
			rows[height-1-r][pad+i] = cell
		}
	}
	out := make([]string, height)
	for r := range rows {
		out[r] = string(rows[r])
	}
	return out
}
