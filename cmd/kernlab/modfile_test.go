package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"os/exec"
	"testing"
)

type moduleCase struct {
	name string
	file string
	data []byte
}

func TestReadModule(t *testing.T) {
	plain := []byte("\x7fELF pretend module")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	tests := []moduleCase{
		{"plain", "lib/modules/6.1.0/kernel/drivers/block/virtio_blk.ko", plain},
		{"gzip", "lib/modules/6.x/kernel/drivers/block/virtio_blk.ko.gz", gz.Bytes()},
	}
	cmd := exec.Command("xz", "-c")
	cmd.Stdin = bytes.NewReader(plain)
	if out, err := cmd.Output(); err == nil {
		tests = append(tests, moduleCase{"xz", "lib/modules/6.12.117+deb12-amd64/kernel/drivers/block/virtio_blk.ko.xz", out})
	} else {
		t.Logf("no xz to compress with (%v): the xz case is not tested", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !isModuleFile(tc.file) {
				t.Errorf("isModuleFile(%q) = false", tc.file)
			}
			if got := moduleName(tc.file); got != "virtio_blk" {
				t.Errorf("moduleName(%q) = %q", tc.file, got)
			}
			got, err := readModule(context.Background(), tc.file, bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("readModule = %q, want %q", got, plain)
			}
		})
	}
	if isModuleFile("lib/modules/6.1/modules.order") || isModuleFile("boot/vmlinuz-6.1.0") {
		t.Error("a non-module counted as a module")
	}
}
