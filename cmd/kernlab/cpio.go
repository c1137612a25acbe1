package main

import (
	"fmt"
	"io"
	"strings"
)

// newcWriter writes a cpio archive in the "newc" (SVR4, no CRC) format,
// the one the kernel unpacks as an initramfs. See
// Documentation/driver-api/early-userspace/buffer-format.rst.
type newcWriter struct {
	w   io.Writer
	ino uint32
	off int64
	err error
}

// File modes, as in stat(2).
const (
	modeDir     = 0o040000
	modeRegular = 0o100000
	modeSymlink = 0o120000
	modeCharDev = 0o020000
)

func newNewcWriter(w io.Writer) *newcWriter { return &newcWriter{w: w} }

// entry writes one header, the name, and data, each padded to 4 bytes.
func (c *newcWriter) entry(name string, mode uint32, rdevMajor, rdevMinor uint32, data []byte) error {
	if c.err != nil {
		return c.err
	}
	name = strings.TrimPrefix(name, "/")
	if name == "" || strings.Contains(name, "\x00") {
		return fmt.Errorf("cpio: bad name %q", name)
	}
	c.ino++
	nlink := uint32(1)
	if mode&0o170000 == modeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdevMajor, rdevMinor, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write([]byte(name + "\x00"))
	c.pad()
	c.write(data)
	c.pad()
	return c.err
}

func (c *newcWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.off += int64(n)
	c.err = err
}

func (c *newcWriter) pad() {
	if r := c.off % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

// Dir adds a directory.
func (c *newcWriter) Dir(name string, perm uint32) error {
	return c.entry(name, modeDir|perm, 0, 0, nil)
}

// File adds a regular file.
func (c *newcWriter) File(name string, perm uint32, data []byte) error {
	return c.entry(name, modeRegular|perm, 0, 0, data)
}

// Symlink adds a symbolic link to target.
func (c *newcWriter) Symlink(name, target string) error {
	return c.entry(name, modeSymlink|0o777, 0, 0, []byte(target))
}

// CharDev adds a character device node.
func (c *newcWriter) CharDev(name string, perm, major, minor uint32) error {
	return c.entry(name, modeCharDev|perm, major, minor, nil)
}

// Close writes the trailer entry.
func (c *newcWriter) Close() error {
	if err := c.entry("TRAILER!!!", 0, 0, 0, nil); err != nil {
		return err
	}
	// The kernel reads the archive in 512-byte blocks, like cpio(1).
	if r := c.off % 512; r != 0 {
		c.write(make([]byte, 512-r))
	}
	return c.err
}
