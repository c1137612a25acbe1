package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// The targets of issue 2 for a full "nscope snapshot" on the busy host.
const (
	targetWall       = 250 * time.Millisecond
	targetLsnsFactor = 3.0
	targetRSS        = 60 << 20
)

// verdict is one target and how the measurement fared against it.
type verdict struct {
	Target string
	Got    string
	Pass   bool
}

// judge compares nscope's figures with the targets: median wall time,
// speed-up over lsns (ratio of medians) and peak RSS.
func judge(nscope, lsns summary) []verdict {
	ratio := ratioOf(lsns.Median, nscope.Median)
	return []verdict{
		{fmt.Sprintf("median wall <= %s", fmtSeconds(targetWall)), fmtSeconds(nscope.Median), nscope.Median <= targetWall},
		{fmt.Sprintf(">= %.0fx faster than lsns -J", targetLsnsFactor), fmt.Sprintf("%.1fx", ratio), ratio >= targetLsnsFactor},
		{fmt.Sprintf("peak RSS <= %s", fmtMiB(targetRSS)), fmtMiB(nscope.PeakRSS), nscope.PeakRSS <= targetRSS},
	}
}

// ratioOf is a/b, or 0 when b is zero.
func ratioOf(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// printReport prints the timing table, the ratios to nscope (results[0])
// and the verdicts against the targets. results must hold nscope, lsns and
// ps in that order.
func printReport(w io.Writer, results []commandResult, runs int) {
	fmt.Fprintf(w, "%d timed runs of each command after one warm-up, interleaved; output to /dev/null\n\n", runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "command\tmedian\tmin\tpeak RSS\tsaw (warm-up run)")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, fmtSeconds(r.Summary.Median), fmtSeconds(r.Summary.Min), fmtMiB(r.Summary.PeakRSS), r.Saw)
	}
	tw.Flush()
	nscope, lsns, ps := results[0].Summary, results[1].Summary, results[2].Summary
	fmt.Fprintf(w, "\nratios of medians: lsns/nscope %.2fx, ps/nscope %.2fx\n",
		ratioOf(lsns.Median, nscope.Median), ratioOf(ps.Median, nscope.Median))
	fmt.Fprintln(w, "\ntargets for nscope snapshot (informational):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range judge(nscope, lsns) {
		mark := "MISS"
		if v.Pass {
			mark = "PASS"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Target, v.Got, mark)
	}
	tw.Flush()
}

// fmtSeconds prints a duration as seconds with millisecond precision.
func fmtSeconds(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

// fmtMiB prints a byte count in MiB with one decimal.
func fmtMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
