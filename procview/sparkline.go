package procview

import "strings"

// sparkBlocks are the eight heights of a sparkline cell, lowest first.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

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
