package control

import (
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// Kernel bounds of the single-number limit files.
const (
	// MaxPids is PID_MAX_LIMIT, the largest pids.max below "max".
	MaxPids = 4194304
	// MinCPUWeight and MaxCPUWeight bound v2 cpu.weight.
	MinCPUWeight = 1
	MaxCPUWeight = 10000
	// MinCPUShares and MaxCPUShares bound v1 cpu.shares (the kernel
	// clamps other values silently; nscope refuses them).
	MinCPUShares = 2
	MaxCPUShares = 262144
)

// ParsePids parses a pids limit: a whole number 0–4194304 or "max"
// (inspect.Unlimited).
func ParsePids(s string) (int64, error) { return parsePids("pids", s) }

func parsePids(what, input string) (int64, error) {
	s := strings.TrimSpace(input)
	if isUnlimitedWord(s) {
		return inspect.Unlimited, nil
	}
	return parseBounded(what, input, 0, MaxPids, `want a whole number of processes 0–4194304, or "max"`)
}

// ParseCPUWeight parses a v2 cpu.weight: a whole number 1–10000
// (100 is the default).
func ParseCPUWeight(s string) (int64, error) {
	return parseBounded("cpu weight", s, MinCPUWeight, MaxCPUWeight, "want a whole number 1–10000 (the default is 100)")
}

// ParseCPUShares parses a v1 cpu.shares: a whole number 2–262144 (1024 is
// the default).
func ParseCPUShares(s string) (int64, error) {
	return parseBounded("cpu shares", s, MinCPUShares, MaxCPUShares, "want a whole number 2–262144 (the default is 1024)")
}

func parseBounded(what, input string, lo, hi int64, allowed string) (int64, error) {
	s := strings.TrimSpace(input)
	if strings.HasPrefix(s, "-") {
		return 0, invalid(what, input, "negative; %s", allowed)
	}
	if !isInteger(s) {
		return 0, invalid(what, input, "%s", allowed)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, invalid(what, input, "out of range; %s", allowed)
	}
	return v, nil
}
