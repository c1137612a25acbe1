package nsexec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Config is what the helper applies beyond the namespaces: the cgroups it
// joins, a fresh /proc for host tools, the identity and the environment of
// the command. It travels on a descriptor (EnvConfigFD) as a small binary
// record stream, never in the helper's own environment: the target's
// environment may hold LD_PRELOAD or anything else, and the helper is a
// privileged binary of the host until it execs.
type Config struct {
	// CgroupProcs are the cgroup.procs files of the cgroups to join, one
	// per hierarchy, before the namespaces (absolute paths in our mount
	// namespace).
	CgroupProcs []string
	// HostProc gives the command a private copy of our mount namespace
	// with a fresh procfs of the target's pid namespace on /proc (host
	// tools with the target's view of processes).
	HostProc bool
	// Identity, when set, is taken after joining (exec-like); nil keeps
	// root (becoming root of a joined user namespace).
	Identity *Identity
	// Env, when ExactEnv, is the command's whole environment; otherwise
	// the helper builds TERM, PATH and HOME as before.
	Env      []string
	ExactEnv bool
}

// Identity is the user, capabilities and confinement the command runs
// with, applied in runc's order: LSM label for exec, the seccomp filters
// (first, while privileged, unless NoNewPrivs), the bounding set, groups,
// gid and uid (keeping capabilities), the capability sets and ambient
// ones, no_new_privs, then the seccomp filters last when NoNewPrivs.
type Identity struct {
	// UID and GID are in the joined user namespace's terms.
	UID, GID uint32
	// Groups, when SetGroups, are the supplementary groups (setgroups(2)).
	Groups    []uint32
	SetGroups bool
	// Caps, when set, are the capability sets to install; nil leaves what
	// the uid change leaves (none for a non-root user after exec).
	Caps *Caps
	// NoNewPrivs sets PR_SET_NO_NEW_PRIVS.
	NoNewPrivs bool
	// LSM, when set, is the label the command is exec'd into.
	LSM *LSMLabel
	// Seccomp are the filters to install, oldest first.
	Seccomp []SeccompFilter
}

// Caps are the five capability sets of capabilities(7), as bit masks.
type Caps struct {
	Effective, Permitted, Inheritable, Bounding, Ambient uint64
}

// LSMLabel is a security module's label for exec.
type LSMLabel struct {
	// Module is "apparmor" or "selinux".
	Module string
	// Label is the AppArmor profile name or the SELinux context.
	Label string
}

// SeccompFilter is one classic BPF seccomp filter as
// PTRACE_SECCOMP_GET_FILTER returns it: struct sock_filter records of 8
// bytes, and its SECCOMP_FILTER_FLAG_* flags.
type SeccompFilter struct {
	Flags uint32
	Insns []byte
}

// Config record tags. A record is a tag byte, a little-endian uint32
// length and that many bytes.
const (
	tagCgroup   = 'C'
	tagHostProc = 'H'
	tagEnv      = 'E'
	tagExactEnv = 'X'
	tagUser     = 'U'
	tagGroups   = 'G'
	tagCaps     = 'K'
	tagNNP      = 'N'
	tagLSM      = 'L'
	tagSeccomp  = 'F'
)

// configMagic starts every config; the C side checks it.
const configMagic = "NSX1"

// Limits the helper enforces on a config; Marshal checks them first.
const (
	// MaxConfig is the largest config the helper reads.
	MaxConfig = 8 << 20
	// maxRecord bounds one record (a BPF filter is at most 4096 insns).
	maxRecord = 1 << 20
	// MaxEnv bounds the environment entries, MaxGroups the groups,
	// MaxFilters the seccomp filters.
	MaxEnv     = 4096
	MaxGroups  = 65536
	MaxFilters = 64
	// MaxInsns is BPF_MAXINSNS, the most a classic filter holds.
	MaxInsns = 4096
)

// Marshal encodes c for the helper after checking it.
func (c *Config) Marshal() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(configMagic)
	rec := func(tag byte, payload []byte) {
		b.WriteByte(tag)
		_ = binary.Write(&b, binary.LittleEndian, uint32(len(payload)))
		b.Write(payload)
	}
	for _, p := range c.CgroupProcs {
		rec(tagCgroup, []byte(p))
	}
	if c.HostProc {
		rec(tagHostProc, nil)
	}
	if c.ExactEnv {
		rec(tagExactEnv, nil)
		for _, kv := range c.Env {
			rec(tagEnv, []byte(kv))
		}
	}
	if id := c.Identity; id != nil {
		rec(tagUser, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, id.UID), id.GID))
		if id.SetGroups {
			var g []byte
			for _, x := range id.Groups {
				g = binary.LittleEndian.AppendUint32(g, x)
			}
			rec(tagGroups, g)
		}
		if k := id.Caps; k != nil {
			var p []byte
			for _, v := range []uint64{k.Effective, k.Permitted, k.Inheritable, k.Bounding, k.Ambient} {
				p = binary.LittleEndian.AppendUint64(p, v)
			}
			rec(tagCaps, p)
		}
		if id.NoNewPrivs {
			rec(tagNNP, nil)
		}
		if l := id.LSM; l != nil {
			kind := byte('a')
			if l.Module == "selinux" {
				kind = 's'
			}
			rec(tagLSM, append([]byte{kind}, l.Label...))
		}
		for _, f := range id.Seccomp {
			rec(tagSeccomp, append(binary.LittleEndian.AppendUint32(nil, f.Flags), f.Insns...))
		}
	}
	if b.Len() > MaxConfig {
		return nil, fmt.Errorf("nsexec: config of %d bytes exceeds %d", b.Len(), MaxConfig)
	}
	return b.Bytes(), nil
}

// check refuses what the helper would refuse or misread.
func (c *Config) check() error {
	for _, p := range c.CgroupProcs {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\x00") || len(p) > 4096 {
			return fmt.Errorf("nsexec: cgroup.procs path %q is not an absolute path without NUL", p)
		}
	}
	if len(c.Env) > MaxEnv {
		return fmt.Errorf("nsexec: %d environment entries, at most %d", len(c.Env), MaxEnv)
	}
	for _, kv := range c.Env {
		if err := CheckEnvEntry(kv); err != nil {
			return err
		}
	}
	id := c.Identity
	if id == nil {
		return nil
	}
	if len(id.Groups) > MaxGroups {
		return fmt.Errorf("nsexec: %d supplementary groups, at most %d", len(id.Groups), MaxGroups)
	}
	if l := id.LSM; l != nil {
		if l.Module != "apparmor" && l.Module != "selinux" {
			return fmt.Errorf("nsexec: unknown security module %q (apparmor, selinux)", l.Module)
		}
		if l.Label == "" || strings.ContainsAny(l.Label, "\x00\n") || len(l.Label) > 4096 {
			return fmt.Errorf("nsexec: %s label %q is empty, too long or has a NUL or newline", l.Module, l.Label)
		}
	}
	if len(id.Seccomp) > MaxFilters {
		return fmt.Errorf("nsexec: %d seccomp filters, at most %d", len(id.Seccomp), MaxFilters)
	}
	for i, f := range id.Seccomp {
		if n := len(f.Insns); n == 0 || n%8 != 0 || n/8 > MaxInsns {
			return fmt.Errorf("nsexec: seccomp filter %d has %d bytes, want 1 to %d instructions of 8 bytes", i, n, MaxInsns)
		}
	}
	return nil
}

// CheckEnvEntry checks one "NAME=VALUE" environment entry as the helper
// passes it to execve(2): a name that is not empty and has no "=", no NUL
// anywhere, and not one of the helper's own variables (_NSCOPE_...).
func CheckEnvEntry(kv string) error {
	name, _, ok := strings.Cut(kv, "=")
	switch {
	case !ok || name == "":
		return fmt.Errorf("nsexec: environment entry %q is not NAME=VALUE with a name", kv)
	case strings.ContainsRune(kv, 0):
		return fmt.Errorf("nsexec: environment entry %q has a NUL byte", kv)
	case strings.HasPrefix(name, "_NSCOPE_"):
		return fmt.Errorf("nsexec: environment variable %s is reserved for nscope's helper", name)
	case len(kv) > 128<<10:
		return fmt.Errorf("nsexec: environment entry %s... is longer than the kernel's 128 KiB per string", name)
	}
	return nil
}

// ErrBadConfig is returned by ParseConfig for a malformed config.
var ErrBadConfig = errors.New("nsexec: malformed config")

// ParseConfig decodes what Marshal encoded, with the helper's own checks
// (the C side parses the same format).
func ParseConfig(data []byte) (*Config, error) {
	if len(data) > MaxConfig {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadConfig, len(data))
	}
	rest, ok := bytes.CutPrefix(data, []byte(configMagic))
	if !ok {
		return nil, fmt.Errorf("%w: no %s header", ErrBadConfig, configMagic)
	}
	c := &Config{}
	hasUser := false
	ident := func() *Identity {
		if c.Identity == nil {
			c.Identity = &Identity{}
		}
		return c.Identity
	}
	for len(rest) > 0 {
		if len(rest) < 5 {
			return nil, fmt.Errorf("%w: truncated record header", ErrBadConfig)
		}
		tag, n := rest[0], binary.LittleEndian.Uint32(rest[1:5])
		rest = rest[5:]
		if n > maxRecord || int(n) > len(rest) {
			return nil, fmt.Errorf("%w: record %q of %d bytes, %d left", ErrBadConfig, tag, n, len(rest))
		}
		p := rest[:n]
		rest = rest[n:]
		switch tag {
		case tagCgroup:
			c.CgroupProcs = append(c.CgroupProcs, string(p))
		case tagHostProc:
			c.HostProc = true
		case tagExactEnv:
			c.ExactEnv = true
		case tagEnv:
			c.Env = append(c.Env, string(p))
		case tagUser:
			if n != 8 {
				return nil, fmt.Errorf("%w: user record of %d bytes", ErrBadConfig, n)
			}
			id := ident()
			id.UID, id.GID = binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:])
			hasUser = true
		case tagGroups:
			if n%4 != 0 {
				return nil, fmt.Errorf("%w: groups record of %d bytes", ErrBadConfig, n)
			}
			id := ident()
			id.SetGroups = true
			for i := 0; i < len(p); i += 4 {
				id.Groups = append(id.Groups, binary.LittleEndian.Uint32(p[i:]))
			}
		case tagCaps:
			if n != 40 {
				return nil, fmt.Errorf("%w: capability record of %d bytes", ErrBadConfig, n)
			}
			u := func(i int) uint64 { return binary.LittleEndian.Uint64(p[8*i:]) }
			ident().Caps = &Caps{Effective: u(0), Permitted: u(1), Inheritable: u(2), Bounding: u(3), Ambient: u(4)}
		case tagNNP:
			ident().NoNewPrivs = true
		case tagLSM:
			if n < 2 || (p[0] != 'a' && p[0] != 's') {
				return nil, fmt.Errorf("%w: LSM record", ErrBadConfig)
			}
			mod := "apparmor"
			if p[0] == 's' {
				mod = "selinux"
			}
			ident().LSM = &LSMLabel{Module: mod, Label: string(p[1:])}
		case tagSeccomp:
			if n < 4 {
				return nil, fmt.Errorf("%w: seccomp record of %d bytes", ErrBadConfig, n)
			}
			id := ident()
			id.Seccomp = append(id.Seccomp, SeccompFilter{Flags: binary.LittleEndian.Uint32(p), Insns: bytes.Clone(p[4:])})
		default:
			return nil, fmt.Errorf("%w: unknown record %q", ErrBadConfig, tag)
		}
	}
	if len(c.Env) > 0 && !c.ExactEnv {
		return nil, fmt.Errorf("%w: environment records without the exact-environment record", ErrBadConfig)
	}
	if c.Identity != nil && !hasUser {
		return nil, fmt.Errorf("%w: identity records without a user record", ErrBadConfig)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return c, nil
}
