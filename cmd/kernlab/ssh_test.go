package main

import (
	"slices"
	"strings"
	"testing"
)

// TestSSHFlag: -ssh names a cgroup v2 configuration of the matrix; one
// that -config leaves out has no SSH guest and is no error.
func TestSSHFlag(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		errPart string
	}{
		{"a v2 guest", []string{"-ssh", "6.1-v2"}, ""},
		{"left out by -config", []string{"-ssh", "6.1-v2", "-config", "6.12-v2"}, ""},
		{"a legacy guest", []string{"-ssh", "6.1-legacy"}, `-ssh "6.1-legacy": want a cgroup v2 configuration`},
		{"unknown", []string{"-ssh", "5.10-v2"}, `-ssh "5.10-v2": want a cgroup v2 configuration`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args)
			if tc.errPart == "" {
				if err != nil || o.ssh != tc.args[1] {
					t.Fatalf("parseFlags(%q) = %+v, %v", tc.args, o.ssh, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Fatalf("parseFlags(%q) = %v, want an error with %q", tc.args, err, tc.errPart)
			}
		})
	}
}

// TestSSHGuestNIC: the SSH guest gets a user-networking NIC forwarding
// the loopback port to its port 22; other guests keep -nic none alone.
func TestSSHGuestNIC(t *testing.T) {
	base := qemuRun{Kernel: "k", Initrd: "i", Disk: "d", Cmdline: "c"}
	if args := qemuArgs(base); slices.Contains(args, "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:2222-:22") {
		t.Errorf("a guest without SSH has a NIC: %q", args)
	}
	var none *sshGuest
	if none.qemuArgs() != nil {
		t.Error("a nil SSH setup adds arguments")
	}
	base.Extra = (&sshGuest{port: 2222}).qemuArgs()
	args := qemuArgs(base)
	i := slices.Index(args, "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:2222-:22")
	if i < 1 || args[i-1] != "-nic" {
		t.Errorf("qemu arguments of the SSH guest: %q", args)
	}
}
