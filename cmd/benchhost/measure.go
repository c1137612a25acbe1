package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/nscope/nscope/cmd/benchhost/forkrun"
)

// sample is one timed run of a command.
type sample struct {
	Wall   time.Duration
	MaxRSS int64 // bytes: ru_maxrss of the command from wait4
}

// timeCommand runs argv once with standard output to stdout and returns
// its wall time (fork to reaped) and peak RSS (ru_maxrss from wait4),
// both measured by the forkrun helper so that they are the command's own
// and not inflated by benchhost's memory (see package forkrun). A
// non-zero exit is an error carrying the command's standard error.
func timeCommand(ctx context.Context, argv []string, stdout io.Writer) (sample, error) {
	if !forkrun.Available() {
		return sample{}, errors.New("benchhost was built without cgo, so it cannot measure a command's own peak RSS: build it with CGO_ENABLED=1 and a C compiler")
	}
	var stderr bytes.Buffer
	res, err := forkrun.Run(ctx, argv, stdout, &limitedBuffer{buf: &stderr, max: 4096})
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return sample{}, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, msg)
		}
		return sample{}, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return sample{Wall: res.Wall, MaxRSS: res.MaxRSS}, nil
}

// limitedBuffer keeps the first max bytes written to it and drops the
// rest, so a chatty failing command cannot fill memory.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

// Write implements io.Writer.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
		} else {
			b.buf.Write(p)
		}
	}
	return len(p), nil
}

// summary is what the report shows of a command's runs.
type summary struct {
	Median, Min time.Duration
	PeakRSS     int64
	Runs        int
}

// summarize returns the median and minimum wall time and the highest peak
// RSS of the samples. The median of an even count is the mean of the two
// middle values.
func summarize(samples []sample) summary {
	if len(samples) == 0 {
		return summary{}
	}
	walls := make([]time.Duration, len(samples))
	var peak int64
	for i, s := range samples {
		walls[i] = s.Wall
		peak = max(peak, s.MaxRSS)
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	mid := len(walls) / 2
	median := walls[mid]
	if len(walls)%2 == 0 {
		median = (walls[mid-1] + walls[mid]) / 2
	}
	return summary{Median: median, Min: walls[0], PeakRSS: peak, Runs: len(samples)}
}
