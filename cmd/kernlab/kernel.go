package main

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// kernelFeature is a kernel config option the lab needs. Module, if set,
// is the module that provides it when the option is =m.
type kernelFeature struct {
	Option string
	Module string
}

// kernelFeatures are what the guest uses: cgroup v2 with the cpu, memory,
// pids and io controllers, PSI, and a virtio disk for io.max.
var kernelFeatures = []kernelFeature{
	{Option: "CONFIG_CGROUPS"},
	{Option: "CONFIG_MEMCG"},
	{Option: "CONFIG_CGROUP_PIDS"},
	{Option: "CONFIG_CGROUP_SCHED"},
	{Option: "CONFIG_CFS_BANDWIDTH"},
	{Option: "CONFIG_BLK_CGROUP"},
	{Option: "CONFIG_BLK_DEV_THROTTLING"},
	{Option: "CONFIG_PSI"},
	{Option: "CONFIG_DEVTMPFS"},
	{Option: "CONFIG_BLK_DEV_INITRD"},
	{Option: "CONFIG_SERIAL_8250_CONSOLE"},
	{Option: "CONFIG_VIRTIO_PCI", Module: "virtio_pci"},
	{Option: "CONFIG_VIRTIO_BLK", Module: "virtio_blk"},
}

// kernel is a cached kernel: its image and the modules to load, in order.
type kernel struct {
	Package string   `json:"package"`
	Release string   `json:"release"`
	Vmlinuz string   `json:"vmlinuz"`
	Config  string   `json:"config"`
	Modules []string `json:"modules"` // paths, dependencies first
}

// kernelCacheInfo is the file that marks a complete cache entry.
const kernelCacheInfo = "kernel.json"

// fetchKernel returns the kernel the metapackage meta depends on, which
// must be of the given series ("6.12"): from the cache when the package
// version apt offers is already there; otherwise it downloads the .deb
// and extracts vmlinuz, the config and the needed modules.
func fetchKernel(ctx context.Context, cacheDir, meta, series string, logf func(string, ...any)) (*kernel, error) {
	var pkg debPackage
	err := aptUpdated(ctx, logf, func() error {
		name, err := resolveDepends(ctx, meta, "linux-image-")
		if err != nil {
			return err
		}
		pkg, err = candidateVersion(ctx, name)
		return err
	})
	if err != nil {
		if k, cerr := newestCachedKernel(cacheDir, series); cerr == nil {
			logf("cannot ask apt (%v); using the cached %s", err, k.Package)
			return k, nil
		}
		return nil, fmt.Errorf("find the kernel package (%s): %w", meta, err)
	}
	dir := filepath.Join(cacheDir, "kernel-"+pkg.String())
	k, err := readKernelCache(dir)
	if err != nil {
		if k, err = downloadKernel(ctx, cacheDir, dir, pkg, logf); err != nil {
			return nil, err
		}
	}
	if !seriesMatches(k.Release, series) {
		return nil, fmt.Errorf("%s depends on %s, kernel %s, which is not the %s series this configuration promises (is this host's apt not Debian 12?)",
			meta, pkg, k.Release, series)
	}
	return k, nil
}

// downloadKernel fetches pkg and fills the cache entry dir.
func downloadKernel(ctx context.Context, cacheDir, dir string, pkg debPackage, logf func(string, ...any)) (*kernel, error) {
	logf("fetching %s (once; cached in %s)", pkg, dir)
	tmp, err := os.MkdirTemp(cacheDir, ".kernel-")
	if err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	deb, err := downloadDeb(ctx, pkg, tmp)
	if err != nil {
		return nil, err
	}
	k, err := extractKernel(ctx, deb, tmp)
	if err != nil {
		return nil, err
	}
	k.Package = pkg.String()
	if err := os.Remove(deb); err != nil {
		return nil, err
	}
	if err := writeKernelCache(tmp, k); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another lab run on this machine may have filled it meanwhile.
		if k, cerr := readKernelCache(dir); cerr == nil {
			return k, nil
		}
		_ = os.RemoveAll(dir)
		if err := os.Rename(tmp, dir); err != nil {
			return nil, fmt.Errorf("kernel cache: %w", err)
		}
	}
	return readKernelCache(dir)
}

// extractKernel pulls vmlinuz, the config and the modules the lab needs
// out of deb into dir. File paths in the result are relative to dir.
func extractKernel(ctx context.Context, deb, dir string) (*kernel, error) {
	k := &kernel{}
	var config []byte
	err := walkDeb(ctx, deb, func(name string, hdr *tar.Header, r io.Reader) error {
		base := filepath.Base(name)
		switch {
		case strings.HasPrefix(name, "boot/vmlinuz-"):
			k.Vmlinuz = "vmlinuz"
			k.Release = strings.TrimPrefix(base, "vmlinuz-")
			return writeFrom(filepath.Join(dir, "vmlinuz"), r)
		case strings.HasPrefix(name, "boot/config-"):
			data, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			config = data
			k.Config = "config"
			return os.WriteFile(filepath.Join(dir, "config"), data, 0o644)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if k.Vmlinuz == "" || config == nil {
		return nil, fmt.Errorf("%s has no boot/vmlinuz-* or boot/config-*", deb)
	}
	want, err := neededModules(parseKernelConfig(config))
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", k.Release, err)
	}
	if len(want) == 0 {
		return k, nil
	}
	order, err := extractModules(ctx, deb, filepath.Join(dir, "modules"), want)
	if err != nil {
		return nil, fmt.Errorf("kernel %s: %w", k.Release, err)
	}
	for _, m := range order {
		k.Modules = append(k.Modules, filepath.Join("modules", m+".ko"))
	}
	return k, nil
}

// extractModules writes the modules in want and everything they depend on
// into dir, reading the .deb again while a dependency is still missing,
// and returns the load order.
func extractModules(ctx context.Context, deb, dir string, want []string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	deps := map[string][]string{}
	need := map[string]bool{}
	for _, w := range want {
		need[w] = true
	}
	for pass := 0; pass < 8; pass++ {
		var wanted []string
		for mod := range need {
			wanted = append(wanted, mod)
		}
		err := walkDeb(ctx, deb, func(name string, hdr *tar.Header, r io.Reader) error {
			if !isModuleFile(name) || !strings.HasPrefix(name, "lib/modules/") {
				return nil
			}
			mod := moduleName(name)
			if _, done := deps[mod]; done || !need[mod] {
				return nil
			}
			data, err := readModule(ctx, name, r)
			if err != nil {
				return err
			}
			mi, err := parseModinfo(data)
			if err != nil {
				return fmt.Errorf("module %s: %w", name, err)
			}
			deps[mod] = mi.Depends
			return os.WriteFile(filepath.Join(dir, mod+".ko"), data, 0o644)
		})
		if err != nil {
			return nil, err
		}
		for _, mod := range wanted {
			if _, ok := deps[mod]; !ok {
				return nil, fmt.Errorf("module %s is not in %s", mod, filepath.Base(deb))
			}
		}
		added := false
		for _, d := range deps {
			for _, dep := range d {
				if !need[dep] {
					need[dep] = true
					added = true
				}
			}
		}
		if !added {
			return loadOrder(want, deps)
		}
	}
	return nil, errors.New("module dependencies did not settle after 8 passes")
}

// parseKernelConfig reads a kernel .config into option -> value ("y",
// "m", or a string); options that are "not set" are absent.
func parseKernelConfig(data []byte) map[string]string {
	cfg := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			cfg[k] = v
		}
	}
	return cfg
}

// neededModules checks the config for every lab feature and returns the
// modules to load for those built as modules.
func neededModules(cfg map[string]string) ([]string, error) {
	var mods, missing []string
	for _, f := range kernelFeatures {
		switch v := cfg[f.Option]; {
		case v == "y":
		case v == "m" && f.Module != "":
			mods = append(mods, f.Module)
		default:
			missing = append(missing, fmt.Sprintf("%s=%q", f.Option, v))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("config lacks what the lab needs (want =y, or =m where a module is known): %s", strings.Join(missing, ", "))
	}
	return mods, nil
}

// writeFrom writes r to path.
func writeFrom(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func writeKernelCache(dir string, k *kernel) error {
	data, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, kernelCacheInfo), data, 0o644)
}

// readKernelCache reads a complete cache entry and makes its paths
// absolute.
func readKernelCache(dir string) (*kernel, error) {
	data, err := os.ReadFile(filepath.Join(dir, kernelCacheInfo))
	if err != nil {
		return nil, err
	}
	k := &kernel{}
	if err := json.Unmarshal(data, k); err != nil {
		return nil, fmt.Errorf("kernel cache %s: %w", dir, err)
	}
	k.Vmlinuz = filepath.Join(dir, k.Vmlinuz)
	k.Config = filepath.Join(dir, k.Config)
	for i := range k.Modules {
		k.Modules[i] = filepath.Join(dir, k.Modules[i])
	}
	for _, p := range append([]string{k.Vmlinuz}, k.Modules...) {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("kernel cache %s incomplete: %w", dir, err)
		}
	}
	return k, nil
}

// newestCachedKernel returns a complete cached kernel of the series, for
// offline use.
func newestCachedKernel(cacheDir, series string) (*kernel, error) {
	ents, err := os.ReadDir(cacheDir)
	if err != nil {
		return nil, err
	}
	for i := len(ents) - 1; i >= 0; i-- {
		if ents[i].IsDir() && strings.HasPrefix(ents[i].Name(), "kernel-") {
			k, err := readKernelCache(filepath.Join(cacheDir, ents[i].Name()))
			if err == nil && seriesMatches(k.Release, series) {
				return k, nil
			}
		}
	}
	return nil, fs.ErrNotExist
}
