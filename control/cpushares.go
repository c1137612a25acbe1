package control

import "math"

// SharesToWeight converts a v1 cpu.shares (2–262144, default 1024) to the
// v2 cpu.weight (1–10000, default 100) with the same meaning. It matches
// ConvertCPUSharesToCgroupV2Value of github.com/opencontainers/cgroups
// since v0.0.3 (commit fd95216, "ConvertCPUSharesToCgroupV2Value:
// improve"), which runc uses since 1.3.2 (opencontainers/runc#4785) and
// crun since 1.23 (containers/crun#1767): a quadratic in log2(shares) through the
// minimum, the default and the maximum of both ranges,
//
//	weight = ceil(10^((l² + 125·l)/612 − 7/34)),  l = log2(shares)
//
// so 2 → 1, 1024 → 100, 262144 → 10000. The linear formula it replaced,
// 1 + (shares−2)·9999/262142, mapped the default 1024 to 39. Values
// outside the v1 range are clamped to the v2 bounds, as there.
func SharesToWeight(shares int64) int64 {
	if shares <= MinCPUShares {
		return MinCPUWeight
	}
	if shares >= MaxCPUShares {
		return MaxCPUWeight
	}
	// The same floating-point expression as runc's, so that results
	// agree at every input, not only in exact arithmetic.
	l := math.Log2(float64(shares))
	exponent := (l*l+125*l)/612.0 - 7.0/34.0
	return int64(math.Ceil(math.Pow(10, exponent)))
}

// WeightToShares converts a v2 cpu.weight to the v1 cpu.shares that
// SharesToWeight maps back to it: the inverse of the quadratic, so 1 → 2,
// 100 → 1024 and 10000 → 262144, then the largest shares value that still
// converts to weight (runc and crun convert only the other way). Every
// weight has one: the curve rises by less than one weight per share.
func WeightToShares(weight int64) int64 {
	if weight <= MinCPUWeight {
		return MinCPUShares
	}
	if weight >= MaxCPUWeight {
		return MaxCPUShares
	}
	// Solve l² + 125·l − 612·(log10(weight) + 7/34) = 0 for l > 0; the
	// discriminant is 127² + 2448·log10(weight).
	l := (math.Sqrt(127*127+2448*math.Log10(float64(weight))) - 125) / 2
	shares := int64(math.Round(math.Exp2(l)))
	for shares > MinCPUShares && SharesToWeight(shares) > weight {
		shares--
	}
	for shares < MaxCPUShares && SharesToWeight(shares+1) <= weight {
		shares++
	}
	return shares
}
