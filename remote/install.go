package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// cacheDir is where --install keeps copies of nscope on the remote, in
// the remote user's cache, as the remote shell spells it.
const cacheDir = `${XDG_CACHE_HOME:-$HOME/.cache}/nscope/bin`

// unameMachines maps GOARCH to what uname -m says on such a machine.
var unameMachines = map[string][]string{
	"amd64":   {"x86_64"},
	"arm64":   {"aarch64", "arm64"},
	"386":     {"i386", "i486", "i586", "i686"},
	"arm":     {"armv6l", "armv7l", "armv8l"},
	"riscv64": {"riscv64"},
	"ppc64le": {"ppc64le"},
	"s390x":   {"s390x"},
	"loong64": {"loongarch64"},
}

// ErrArch says the remote machine is of another architecture than this
// binary.
var ErrArch = errors.New("another architecture")

// CheckArch reports whether a machine whose uname -m is machine runs a
// binary built for goarch.
func CheckArch(goarch, machine string) error {
	for _, m := range unameMachines[goarch] {
		if m == machine {
			return nil
		}
	}
	return fmt.Errorf("the remote is %s and this nscope is built for %s (%w): build nscope for the remote's architecture and use --install from that build", machine, goarch, ErrArch)
}

// Installed says what an install did.
type Installed struct {
	// Target is the host.
	Target Target
	// Path is the copy on the remote, as its shell spells it.
	Path string
	// Sum is the binary's sha256.
	Sum string
	// Dynamic is set when the binary needs a dynamic loader (and a C
	// library on the remote that matches this one's).
	Dynamic bool
}

// installMark is what the remote command of an install prints when the
// cache has no good copy: then the binary is copied and the connection
// made again.
const installMark = "nscope-not-installed"

// exitNotInstalled is that command's exit status.
const exitNotInstalled = 100

// localBinary is the binary to install and its sha256.
type localBinary struct {
	path, sum string
	dynamic   bool
}

// binary reads d.Install's binary once.
func (d *Dialer) binary() (localBinary, error) {
	d.binOnce.Do(func() {
		f, err := os.Open(d.Install)
		if err != nil {
			d.binErr = fmt.Errorf("--install: %w", err)
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			d.binErr = fmt.Errorf("--install: read %s: %w", d.Install, err)
			return
		}
		d.bin = localBinary{path: d.Install, sum: hex.EncodeToString(h.Sum(nil)), dynamic: isDynamic(d.Install)}
	})
	return d.bin, d.binErr
}

// cachedPath is where the copy of b lives on the remote.
func cachedPath(b localBinary) string { return cacheDir + "/nscope-" + b.sum[:16] }

// installCommand starts the agent from the cached copy when it is there
// with the right sha256, else prints installMark and the machine.
func installCommand(b localBinary) string {
	return "exec sh -c " + shellQuote(`f="`+cachedPath(b)+`"; if [ -x "$f" ] && [ "$(sha256sum < "$f" | cut -c1-64)" = "`+b.sum+`" ]; then exec "$f" agent; fi; echo "`+installMark+` $(uname -m)" >&2; exit `+fmt.Sprint(exitNotInstalled))
}

// install copies b to t's cache, after checking that a machine whose
// uname -m is machine runs it; the copy's sha256 is checked on the
// remote before it is moved into place.
func (d *Dialer) install(ctx context.Context, t Target, b localBinary, machine string) error {
	if err := CheckArch(runtime.GOARCH, machine); err != nil {
		return fmt.Errorf("--install: %w", err)
	}
	f, err := os.Open(b.path)
	if err != nil {
		return fmt.Errorf("--install: %w", err)
	}
	defer f.Close()
	name := "nscope-" + b.sum[:16]
	script := `set -e; umask 077; d="` + cacheDir + `"; mkdir -p "$d"; t=$(mktemp "$d/.nscope-XXXXXX"); trap 'rm -f "$t"' EXIT; cat > "$t"; ` +
		`s=$(sha256sum < "$t" | cut -c1-64); if [ "$s" != "` + b.sum + `" ]; then echo "the copy's sha256 is $s, not ` + b.sum + `: not installed" >&2; exit 3; fi; ` +
		`chmod 700 "$t"; mv -f "$t" "$d/` + name + `"; trap - EXIT`
	if _, err := d.runScript(ctx, t, script, f); err != nil {
		return fmt.Errorf("--install: copy nscope to %s: %w", t, err)
	}
	if d.OnInstall != nil {
		d.OnInstall(Installed{Target: t, Path: cachedPath(b), Sum: b.sum, Dynamic: b.dynamic})
	}
	return nil
}

// runScript runs a POSIX shell script on t (through sh, whatever the
// remote user's shell is) with stdin, and returns its standard output.
func (d *Dialer) runScript(ctx context.Context, t Target, script string, stdin io.Reader) ([]byte, error) {
	cmd := d.sshCommand(ctx, d.sshArgs(t, "sh -c "+shellQuote(script)))
	cmd.Stdin = stdin
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w%s", err, stderrTail(errOut.String()))
	}
	return out.Bytes(), nil
}

// isDynamic reports whether an ELF binary asks for a dynamic loader.
func isDynamic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
