package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// moduleCompression is a way Debian may compress the modules of a kernel
// package (CONFIG_MODULE_COMPRESS_*): 6.1 ships plain .ko files, the 6.12
// series .ko.xz.
type moduleCompression struct {
	suffix string
	// tool decompresses stdin to stdout; "" for gzip, done in Go.
	tool    []string
	pkgName string // the Debian package with the tool
}

var moduleCompressions = []moduleCompression{
	{suffix: ".xz", tool: []string{"xz", "-dc"}, pkgName: "xz-utils"},
	{suffix: ".zst", tool: []string{"zstd", "-dc"}, pkgName: "zstd"},
	{suffix: ".gz"},
}

// isModuleFile reports whether a path in the kernel package is a module,
// compressed or not.
func isModuleFile(name string) bool {
	if strings.HasSuffix(name, ".ko") {
		return true
	}
	for _, c := range moduleCompressions {
		if strings.HasSuffix(name, ".ko"+c.suffix) {
			return true
		}
	}
	return false
}

// readModule returns the module's ELF bytes, decompressed. The guest
// gets them uncompressed, so it loads them without the kernel's own
// decompression (CONFIG_MODULE_DECOMPRESS) and the host reads .modinfo.
func readModule(ctx context.Context, name string, r io.Reader) ([]byte, error) {
	for _, c := range moduleCompressions {
		if !strings.HasSuffix(name, ".ko"+c.suffix) {
			continue
		}
		if c.tool == nil {
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, fmt.Errorf("module %s: %w", name, err)
			}
			data, err := io.ReadAll(zr)
			if err != nil {
				return nil, fmt.Errorf("module %s: %w", name, err)
			}
			return data, nil
		}
		if _, err := exec.LookPath(c.tool[0]); err != nil {
			return nil, fmt.Errorf("module %s is compressed and %s is not installed: apt-get install %s (or make deps as root)", name, c.tool[0], c.pkgName)
		}
		cmd := exec.CommandContext(ctx, c.tool[0], c.tool[1:]...)
		cmd.Stdin = r
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		data, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("decompress module %s with %s: %w: %s", name, c.tool[0], err, strings.TrimSpace(stderr.String()))
		}
		return data, nil
	}
	return io.ReadAll(r)
}
