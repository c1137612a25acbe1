package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// buildGuest builds the binaries and describes the part of the initramfs
// every configuration shares: /init, nscope, busybox, the test binaries
// and their testdata. forConfig adds a kernel's modules and the manifest.
func buildGuest(ctx context.Context, root, work string, pkgs []labPackage, bb *busybox, o options) (*initramfs, error) {
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	fsys := &initramfs{Symlinks: map[string]string{}}
	jobs := []buildJob{
		{what: "cmd/labinit", args: []string{"build"}, target: filepath.Join(work, "init"), pkg: "./cmd/labinit"},
		{what: "cmd/nscope", args: []string{"build"}, target: filepath.Join(bin, "nscope"), pkg: "./cmd/nscope"},
	}
	fsys.Files = append(fsys.Files,
		guestFile{Src: filepath.Join(work, "init"), Dst: "/init", Perm: 0o755},
		guestFile{Src: filepath.Join(bin, "nscope"), Dst: "/bin/nscope", Perm: 0o755},
		guestFile{Src: bb.Path, Dst: "/bin/busybox", Perm: 0o755},
	)
	for _, a := range bb.Applets {
		if a != "busybox" && a != "nscope" && a != "init" {
			fsys.Symlinks["/bin/"+a] = "busybox"
		}
	}
	man := labproto.Manifest{
		Disk:    "vda",
		Run:     o.run,
		Timeout: labproto.Duration(o.testTimeout),
		Fixture: o.saveFixture != "",
	}
	if o.knownBugs {
		man.Env = append(man.Env, labproto.EnvKnownBugs+"=1")
	}
	for _, p := range pkgs {
		target := filepath.Join(bin, p.binaryName())
		jobs = append(jobs, buildJob{what: p.ImportPath + " tests", args: []string{"test", "-c"}, target: target, pkg: p.ImportPath, test: true})
		guestBin := "/lab/bin/" + p.binaryName()
		fsys.Files = append(fsys.Files, guestFile{Src: target, Dst: guestBin, Perm: 0o755})
		dir := "/src/" + filepath.ToSlash(p.Rel)
		fsys.Dirs = append(fsys.Dirs, dir)
		man.Tests = append(man.Tests, labproto.TestBinary{Package: p.ImportPath, Binary: guestBin, Dir: dir})
	}
	fsys.Manifest = man
	if err := addTestdata(fsys, root, pkgs); err != nil {
		return nil, err
	}
	if err := addExtras(ctx, fsys, bb, o.extras); err != nil {
		return nil, err
	}
	if err := buildAll(ctx, root, jobs); err != nil {
		return nil, err
	}
	return fsys, nil
}

// forConfig returns the initramfs of one configuration: the shared part
// plus the kernel's modules, and a manifest that names the configuration.
func (fs *initramfs) forConfig(c labConfig, k *kernel) *initramfs {
	out := &initramfs{
		Files:    append([]guestFile(nil), fs.Files...),
		Symlinks: fs.Symlinks,
		Dirs:     fs.Dirs,
		Manifest: fs.Manifest,
	}
	out.Manifest.Modules = nil
	for _, m := range k.Modules {
		out.Files = append(out.Files, guestFile{Src: m, Dst: guestModulePath(m), Perm: 0o644})
		out.Manifest.Modules = append(out.Manifest.Modules, guestModulePath(m))
	}
	out.Manifest.Config = c.Name
	out.Manifest.Cgroup = c.Cgroup
	return out
}
