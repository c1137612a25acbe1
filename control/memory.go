package control

import (
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// MinHardMemory is the smallest hard memory limit (memory.max,
// memory.limit_in_bytes) nscope writes: anything smaller OOM-kills almost
// any process at once, and is nearly always a missing unit ("512" for
// "512M").
const MinHardMemory = 1 << 20

// ParseMemory parses a memory size as an operator types it: bytes
// ("536870912"), a size with a binary unit ("512M", "512MiB", "1.5G",
// "64k"; K, M, G, T and their KB/KiB spellings all mean powers of 1024,
// as the kernel's memparse does), or "max"/"none" for no limit
// (inspect.Unlimited). Errors are *ValueError naming the input and what
// is allowed.
func ParseMemory(s string) (int64, error) { return parseMemory("memory", s) }

func parseMemory(what, input string) (int64, error) {
	const allowed = `want bytes or a size with a unit ("512M", "1.5G", "64K"; units are powers of 1024), or "max"`
	s := strings.TrimSpace(input)
	if s == "" {
		return 0, invalid(what, input, "empty; %s", allowed)
	}
	if isUnlimitedWord(s) {
		return inspect.Unlimited, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, invalid(what, input, "negative; %s", allowed)
	}
	if strings.HasSuffix(s, "%") {
		return 0, invalid(what, input, "percentages are not supported for memory; %s", allowed)
	}
	num, suffix := splitNumber(s)
	if !isDecimal(num) {
		return 0, invalid(what, input, "%s", allowed)
	}
	mult, ok := memoryUnit(suffix)
	if !ok {
		return 0, invalid(what, input, "unknown unit %q; %s", suffix, allowed)
	}
	if mult == 1 && !isInteger(num) {
		return 0, invalid(what, input, "fractional bytes; %s", allowed)
	}
	v, ok := scaleDecimal(num, mult)
	if !ok {
		return 0, invalid(what, input, "too large; the largest is 8E (2^63-1 bytes)")
	}
	return v, nil
}

// memoryUnit returns the multiplier of a size suffix, case-insensitive.
func memoryUnit(suffix string) (int64, bool) {
	switch strings.ToLower(suffix) {
	case "", "b":
		return 1, true
	case "k", "kb", "kib":
		return 1 << 10, true
	case "m", "mb", "mib":
		return 1 << 20, true
	case "g", "gb", "gib":
		return 1 << 30, true
	case "t", "tb", "tib":
		return 1 << 40, true
	case "p", "pb", "pib":
		return 1 << 50, true
	}
	return 0, false
}

// checkHardMemory rejects a hard limit under MinHardMemory.
func checkHardMemory(what, input string, v int64) error {
	if v == inspect.Unlimited || v >= MinHardMemory {
		return nil
	}
	const why = "%d bytes is under the 1M minimum nscope allows for a hard limit (it would OOM-kill at once)"
	in := strings.TrimSpace(input)
	if _, err := strconv.ParseInt(in, 10, 64); err == nil {
		// A bare number is bytes; the user most likely meant megabytes.
		return invalid(what, input, why+"; did you mean %sM?", v, in)
	}
	return invalid(what, input, why, v)
}
