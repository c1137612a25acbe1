package control

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nscope/nscope/control/nsexec"
)

// activeLSMs returns the security modules the kernel runs that label
// processes (AppArmor, SELinux), from /sys/kernel/security/lsm (securityfs,
// 4.15+), falling back to their own sysfs files when securityfs is not
// mounted.
func (e *Enterer) activeLSMs() []string {
	var out []string
	if data, err := os.ReadFile(filepath.Join(e.sysRoot, "kernel", "security", "lsm")); err == nil {
		for _, m := range strings.Split(strings.TrimSpace(string(data)), ",") {
			if m == "apparmor" || m == "selinux" {
				out = append(out, m)
			}
		}
		return out
	}
	if data, err := os.ReadFile(filepath.Join(e.sysRoot, "module", "apparmor", "parameters", "enabled")); err == nil && strings.TrimSpace(string(data)) == "Y" {
		out = append(out, "apparmor")
	}
	if _, err := os.Stat(filepath.Join(e.sysRoot, "fs", "selinux", "enforce")); err == nil {
		out = append(out, "selinux")
	}
	return out
}

// planLSM returns the target's label to exec the command into, and a note
// for the plan: what is taken, or why nothing is.
func (e *Enterer) planLSM(pid int) (*nsexec.LSMLabel, string, error) {
	mods := e.activeLSMs()
	if len(mods) == 0 {
		return nil, "no AppArmor or SELinux on this host (none in /sys/kernel/security/lsm): no security label to take", nil
	}
	// AppArmor and SELinux are both "major" modules: a kernel runs one.
	mod := mods[0]
	label, err := e.readLabel(pid, mod)
	if err != nil {
		return nil, "", procError(pid, "read the "+mod+" label", err)
	}
	ours, _ := e.readLabel(0, mod)
	switch {
	case label == "" || label == "unconfined":
		return nil, fmt.Sprintf("%s: the target is unconfined", mod), nil
	case label == ours:
		return nil, fmt.Sprintf("%s: the target has nscope's own label %s", mod, label), nil
	case strings.ContainsAny(label, "\x00\n") || len(label) > 4096:
		return nil, "", fmt.Errorf("enter %d: its %s label %q is not one nscope can set", pid, mod, label)
	}
	return &nsexec.LSMLabel{Module: mod, Label: label}, fmt.Sprintf("%s label %s, for exec", mod, label), nil
}

// readLabel reads a process's label (pid 0: our own) for module: AppArmor's
// "docker-default (enforce)" becomes the profile name.
func (e *Enterer) readLabel(pid int, mod string) (string, error) {
	dir := "self"
	if pid > 0 {
		dir = pidDir(pid)
	}
	attr := filepath.Join(e.procRoot, dir, "attr")
	data, err := readProcFile(filepath.Join(attr, mod, "current"))
	if err != nil {
		data, err = readProcFile(filepath.Join(attr, "current"))
	}
	if err != nil {
		return "", err
	}
	label := string(bytes.TrimRight(data, "\x00\n"))
	if mod == "apparmor" {
		if i := strings.LastIndex(label, " ("); i > 0 && strings.HasSuffix(label, ")") {
			label = label[:i]
		}
	}
	return label, nil
}
