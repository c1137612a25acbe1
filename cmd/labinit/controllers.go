package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// labControllers are the controllers the lab enables at the root, so that
// every child cgroup has cpu.max, memory.max, pids.max and io.max.
var labControllers = []string{"cpu", "memory", "pids", "io"}

// enableControllers writes "+NAME" for each controller to the root's
// cgroup.subtree_control and checks that it reads back. Each is written on
// its own so an error names the controller. See
// Documentation/admin-guide/cgroup-v2.rst, "Enabling and Disabling".
func enableControllers(root string, names []string) error {
	file := filepath.Join(root, "cgroup.subtree_control")
	avail, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("read available controllers: %w", err)
	}
	for _, name := range names {
		if !hasWord(string(avail), name) {
			return fmt.Errorf("controller %s is not available (cgroup.controllers: %q)", name, strings.TrimSpace(string(avail)))
		}
		if err := os.WriteFile(file, []byte("+"+name), 0); err != nil {
			return fmt.Errorf("enable controller %s: %w", name, err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read back %s: %w", file, err)
	}
	for _, name := range names {
		if !hasWord(string(got), name) {
			return fmt.Errorf("%s reads %q after enabling, missing %s", file, strings.TrimSpace(string(got)), name)
		}
	}
	return nil
}

// hasWord reports whether the space-separated list s contains w.
func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}
