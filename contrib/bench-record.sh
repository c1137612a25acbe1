#!/usr/bin/env bash
# Measures "nscope record" on the bench host (cmd/benchhost): its CPU use
# at the default 1 s interval beside top -b -d 1, the disk it writes per
# hour, and how long "nscope snapshot --at" takes to open a moment of the
# recording. Run from the checkout as root, after "make build"; it reuses
# a running "benchhost up" host or builds one. DURATION (seconds, default
# 300) is the CPU window; at least two full snapshots (--full-every 60s)
# should fall in it.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-300}
dir=$(mktemp -d /tmp/nscope-bench-record.XXXXXX)
trap 'rm -rf "$dir"' EXIT
start=$(date +%s)
go run ./cmd/benchhost cpu -duration "${duration}s" -- \
	"bin/nscope record --quiet $dir/rec" 'top -b -d 1 >/dev/null'
end=$(date +%s)
bytes=$(du -sb "$dir/rec" | cut -f1)
awk -v b="$bytes" -v s="$((end - start))" 'BEGIN {
	printf "recorder disk: %.1f MiB in %d s = %.1f MiB/hour (budget 100)\n", b / 1048576, s, b / 1048576 * 3600 / s }'
for at in -30s -90s -150s; do
	t0=$(date +%s.%N)
	bin/nscope snapshot --at "$at" --from "$dir/rec" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" -v at="$at" 'BEGIN { printf "snapshot --at %s: %.2f s (budget 1 s)\n", at, b - a }'
done
