package runtimes

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// systemd-machined registers each machine in /run/systemd/machines/NAME,
// an environment-style file with NAME, SCOPE, ROOT, CLASS and LEADER (the
// init's PID). systemd-nspawn run with --register=no (as it must be
// where systemd is not the service manager) leaves no such file; it is
// then found by its own process: its child in a new pid namespace is the
// machine's init, and its arguments name the machine.

// Machine is one /run/systemd/machines file.
type Machine struct {
	Name   string
	Scope  string
	Root   string
	Class  string
	Leader int
}

// ParseMachine parses a machined machine file.
func ParseMachine(data []byte) (*Machine, error) {
	m := &Machine{}
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte("="))
		if !ok || len(k) == 0 || k[0] == '#' {
			continue
		}
		val := unquoteEnv(string(v))
		switch string(k) {
		case "NAME":
			m.Name = val
		case "SCOPE":
			m.Scope = val
		case "ROOT":
			m.Root = val
		case "CLASS":
			m.Class = val
		case "LEADER":
			if pid, err := strconv.Atoi(val); err == nil && pid > 0 {
				m.Leader = pid
			}
		}
	}
	if m.Name == "" {
		return nil, fmt.Errorf("machine file: no NAME")
	}
	return m, nil
}

// RecordFromMachine returns the record of a machined machine.
func RecordFromMachine(m *Machine) *Record {
	r := &Record{Runtime: Nspawn, ID: m.Name, Name: m.Name, PID: m.Leader}
	if m.Scope != "" {
		r.CgroupsPath = "machine.slice:" + m.Scope
	}
	if m.Root != "" {
		r.Image = m.Root
	}
	return r
}

// unquoteEnv strips the quotes systemd's env-file writer may add.
func unquoteEnv(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// nspawnValueOptions are the systemd-nspawn options that take their value
// as the next argument; knowing them tells option values from the command.
var nspawnValueOptions = map[string]bool{
	"-D": true, "--directory": true, "-i": true, "--image": true, "-M": true, "--machine": true,
	"-u": true, "--user": true, "-E": true, "--setenv": true, "-S": true, "--slice": true,
	"-p": true, "--port": true, "-Z": true, "--selinux-context": true, "-L": true, "--selinux-apparmor-profile": true,
	"--bind": true, "--bind-ro": true, "--tmpfs": true, "--overlay": true, "--overlay-ro": true,
	"--chdir": true, "--uuid": true, "--property": true, "--network-interface": true,
	"--network-macvlan": true, "--network-ipvlan": true, "--network-bridge": true, "--network-zone": true,
	"--network-namespace-path": true, "--capability": true, "--drop-capability": true, "--link-journal": true,
	"--register": true, "--template": true, "--kill-signal": true, "--notify-ready": true, "--volatile": true,
	"--resolv-conf": true, "--timezone": true, "--console": true, "--pivot-root": true, "--settings": true,
	"--personality": true, "--hostname": true, "--oci-bundle": true, "--system-call-filter": true,
	"--rlimit": true, "--oom-score-adj": true, "--cpu-affinity": true, "--root-hash": true,
	"--load-credential": true, "--set-credential": true, "--bind-user": true, "--inaccessible": true,
	"--private-users": false, // takes its value only after "="
}

// NspawnMachine returns the machine name and root directory or image a
// systemd-nspawn command line names: -M/--machine, else the basename of
// -D/--directory or -i/--image (as nspawn itself derives it). ok is
// false when args are not an nspawn command line.
func NspawnMachine(args []string) (name, root string, ok bool) {
	if len(args) == 0 || path.Base(args[0]) != "systemd-nspawn" {
		return "", "", false
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			break // the command to run in the machine starts here
		}
		opt, val, inline := strings.Cut(a, "=")
		if !inline && !strings.HasPrefix(a, "--") && len(a) > 2 {
			opt, val, inline = a[:2], a[2:], true // -Mname
		}
		if !inline {
			if !nspawnValueOptions[opt] || i+1 >= len(args) {
				continue
			}
			i++
			val = args[i]
		}
		switch opt {
		case "-M", "--machine":
			name = val
		case "-D", "--directory", "-i", "--image":
			root = val
		}
	}
	if name == "" && root != "" {
		name = strings.TrimSuffix(path.Base(strings.TrimRight(root, "/")), ".raw")
	}
	return name, root, true
}
