package main

import (
	"fmt"
	"os"
	"time"
)

// runHelper is what this binary does when started with arguments: the
// demo processes of the fixture. "spin" burns CPU, "sleep" waits; both run
// until killed.
func runHelper(args []string) int {
	switch args[0] {
	case "spin":
		x := 0
		for {
			x++
		}
	case "sleep":
		for {
			time.Sleep(time.Hour)
		}
	default:
		fmt.Fprintf(os.Stderr, "labinit: unknown helper %q (want spin or sleep)\n", args[0])
		return 2
	}
}
