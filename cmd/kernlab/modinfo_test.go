package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseModinfoSection(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want moduleInfo
	}{
		{"virtio_pci", "license=GPL\x00depends=virtio_ring,virtio_pci_modern_dev,virtio\x00name=virtio_pci\x00vermagic=6.1.0\x00",
			moduleInfo{Name: "virtio_pci", Depends: []string{"virtio_ring", "virtio_pci_modern_dev", "virtio"}}},
		{"no dependencies", "depends=\x00name=virtio\x00", moduleInfo{Name: "virtio"}},
		{"padding and junk", "\x00\x00junk\x00name=x\x00\x00", moduleInfo{Name: "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseModinfoSection([]byte(tc.raw))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseModinfoNotELF(t *testing.T) {
	if _, err := parseModinfo([]byte("not an elf file")); err == nil {
		t.Error("parseModinfo of junk: no error")
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"lib/modules/6.1.0-48-amd64/kernel/drivers/block/virtio_blk.ko": "virtio_blk",
		"lib/modules/x/kernel/drivers/hid/hid-generic.ko":               "hid_generic",
	} {
		if got := moduleName(in); got != want {
			t.Errorf("moduleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadOrder(t *testing.T) {
	virtio := map[string][]string{
		"virtio":                {},
		"virtio_ring":           {},
		"virtio_pci_legacy_dev": {},
		"virtio_pci_modern_dev": {},
		"virtio_pci":            {"virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio"},
		"virtio_blk":            {"virtio", "virtio_ring"},
	}
	tests := []struct {
		name    string
		want    []string
		deps    map[string][]string
		order   []string
		errPart string
	}{
		{"virtio disk", []string{"virtio_pci", "virtio_blk"}, virtio,
			[]string{"virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring", "virtio_pci", "virtio_blk"}, ""},
		{"missing module", []string{"a"}, map[string][]string{"a": {"b"}}, nil, "module b not found in the kernel package (needed by lab -> a)"},
		{"cycle", []string{"a"}, map[string][]string{"a": {"b"}, "b": {"a"}}, nil, "cycle: lab -> a -> b -> a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadOrder(tc.want, tc.deps)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("error = %v, want one containing %q", err, tc.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.order, got); diff != "" {
				t.Errorf("load order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNeededModules(t *testing.T) {
	all := func(over map[string]string) map[string]string {
		cfg := map[string]string{}
		for _, f := range kernelFeatures {
			cfg[f.Option] = "y"
		}
		for k, v := range over {
			if v == "" {
				delete(cfg, k)
			} else {
				cfg[k] = v
			}
		}
		return cfg
	}
	tests := []struct {
		name    string
		cfg     map[string]string
		want    []string
		errPart string
	}{
		{"all built in", all(nil), nil, ""},
		{"debian: virtio as modules", all(map[string]string{"CONFIG_VIRTIO_PCI": "m", "CONFIG_VIRTIO_BLK": "m"}), []string{"virtio_pci", "virtio_blk"}, ""},
		{"no PSI", all(map[string]string{"CONFIG_PSI": ""}), nil, `CONFIG_PSI=""`},
		{"memcg as module is not loadable", all(map[string]string{"CONFIG_MEMCG": "m"}), nil, `CONFIG_MEMCG="m"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := neededModules(tc.cfg)
			if tc.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("error = %v, want one containing %q", err, tc.errPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKernelConfig(t *testing.T) {
	cfg := parseKernelConfig([]byte("#\n# CONFIG_IKCONFIG is not set\nCONFIG_PSI=y\nCONFIG_VIRTIO_BLK=m\nCONFIG_MODULE_SIG_HASH=\"sha256\"\n"))
	want := map[string]string{"CONFIG_PSI": "y", "CONFIG_VIRTIO_BLK": "m", "CONFIG_MODULE_SIG_HASH": `"sha256"`}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A real module from the lab's kernel cache, when a lab ran on this
// machine before.
func TestParseModinfoCachedModule(t *testing.T) {
	matches, _ := filepath.Glob("../../.cache/kernlab/kernel-*/modules/virtio_blk.ko")
	if len(matches) == 0 {
		t.Skip("no cached lab kernel (run go run ./cmd/kernlab once)")
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	mi, err := parseModinfo(data)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(mi.Depends)
	if diff := cmp.Diff(moduleInfo{Name: "virtio_blk", Depends: []string{"virtio", "virtio_ring"}}, mi); diff != "" {
		t.Errorf("modinfo of %s (-want +got):\n%s", matches[0], diff)
	}
}
