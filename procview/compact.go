package procview

import (
	"strconv"

	"github.com/nscope/nscope/inspect"
)

// FormatBytesShort renders a byte count in at most five cells for narrow
// table columns: "512B", "14K", "1.5M", "200M", "3.2G". Unlimited renders
// as "max".
func FormatBytesShort(n int64) string {
	if n == inspect.Unlimited {
		return "max"
	}
	if n < 0 {
		return "-" + FormatBytesShort(-n)
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	units := "KMGTPE"
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	// Rounding can carry into the next unit: 1023.9K shows as 1.0M.
	if v >= 999.5 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 9.95 {
		return strconv.FormatFloat(v, 'f', 1, 64) + string(units[i])
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + string(units[i])
}
