package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// loadModules inserts the kernel modules in the given order (the host
// sorted them so that dependencies come first). A module that is already
// loaded is fine. See finit_module(2).
func loadModules(paths []string) error {
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("load module: %w", err)
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("load module %s: %w", filepath.Base(path), err)
		}
	}
	return nil
}

// waitForDisk waits until devtmpfs shows /dev/NAME and sysfs its device
// number; virtio-blk probes asynchronously after the module loads.
func waitForDisk(name string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, errDev := os.Stat("/dev/" + name)
		_, errSys := os.Stat("/sys/block/" + name + "/dev")
		if errDev == nil && errSys == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("disk /dev/%s did not appear within 10s (is virtio_blk loaded and the drive attached?)", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
