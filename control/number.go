package control

import (
	"math/big"
	"strings"
)

// isDecimal reports whether s is a plain non-negative decimal number:
// digits with at most one '.', at least one digit. No sign, exponent,
// hex, underscores, "inf" or "nan": the forms strconv accepts but no
// operator means.
func isDecimal(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// isInteger reports whether s is a plain non-negative decimal integer.
func isInteger(s string) bool {
	return isDecimal(s) && !strings.Contains(s, ".")
}

// scaleDecimal returns floor(s × mult) for a decimal string s (checked with
// isDecimal), exactly, and false when the result does not fit in an int64.
func scaleDecimal(s string, mult int64) (int64, bool) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// splitNumber splits "512Mi" into "512" and "Mi": the longest leading run
// of digits and dots, and the rest with surrounding space removed.
func splitNumber(s string) (num, suffix string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], strings.TrimSpace(s[i:])
}
