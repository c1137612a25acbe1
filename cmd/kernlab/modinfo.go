package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"sort"
	"strings"
)

// moduleInfo is what the lab needs from a kernel module's .modinfo
// section: its name and the modules it depends on. The .deb ships no
// modules.dep (depmod writes it at install time), so the dependencies come
// from the modules themselves, as modinfo(8) reads them.
type moduleInfo struct {
	Name    string
	Depends []string
}

// parseModinfo reads the .modinfo section of a .ko file: NUL-separated
// key=value strings.
func parseModinfo(ko []byte) (moduleInfo, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return moduleInfo{}, fmt.Errorf("not an ELF module: %w", err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return moduleInfo{}, fmt.Errorf("no .modinfo section")
	}
	data, err := sec.Data()
	if err != nil {
		return moduleInfo{}, fmt.Errorf("read .modinfo: %w", err)
	}
	return parseModinfoSection(data), nil
}

// parseModinfoSection parses the raw .modinfo bytes.
func parseModinfoSection(data []byte) moduleInfo {
	var mi moduleInfo
	for _, kv := range bytes.Split(data, []byte{0}) {
		k, v, ok := strings.Cut(string(kv), "=")
		if !ok {
			continue
		}
		switch k {
		case "name":
			mi.Name = v
		case "depends":
			for _, d := range strings.Split(v, ",") {
				if d != "" {
					mi.Depends = append(mi.Depends, d)
				}
			}
		}
	}
	return mi
}

// moduleName returns the module name of a .ko path: the base name without
// .ko (and without a compression suffix), with dashes as underscores (the
// kernel's spelling).
func moduleName(path string) string {
	base := path[strings.LastIndexByte(path, '/')+1:]
	for _, c := range moduleCompressions {
		base = strings.TrimSuffix(base, c.suffix)
	}
	return strings.ReplaceAll(strings.TrimSuffix(base, ".ko"), "-", "_")
}

// loadOrder returns the closure of want over deps, dependencies first.
// deps maps each known module to its dependencies; a module missing from
// deps is an error.
func loadOrder(want []string, deps map[string][]string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, chain []string) error
	visit = func(name string, chain []string) error {
		switch state[name] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("module dependency cycle: %s", strings.Join(append(chain, name), " -> "))
		}
		d, ok := deps[name]
		if !ok {
			return fmt.Errorf("module %s not found in the kernel package (needed by %s)", name, strings.Join(chain, " -> "))
		}
		state[name] = 1
		sorted := append([]string(nil), d...)
		sort.Strings(sorted)
		for _, dep := range sorted {
			if err := visit(dep, append(chain, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, name)
		return nil
	}
	for _, w := range want {
		if err := visit(w, []string{"lab"}); err != nil {
			return nil, err
		}
	}
	return order, nil
}
