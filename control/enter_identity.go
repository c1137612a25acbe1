package control

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nscope/nscope/control/nsexec"
	"github.com/nscope/nscope/inspect"
)

// checkEnvEntry and envMax are the helper's own rules for the command's
// environment.
var (
	checkEnvEntry = nsexec.CheckEnvEntry
	envMax        = nsexec.MaxEnv
)

// EnterIdentity is who the command runs as instead of nscope's root.
type EnterIdentity struct {
	// FromTarget is set when it is the target's own identity (exec-like);
	// else only a --user was given.
	FromTarget bool `json:"from_target"`
	// UID, GID and Groups are in the terms of the user namespace the
	// command runs in; User names the UID when the target's /etc/passwd
	// does. SetGroups is false when the groups cannot be set (setgroups
	// denied in the target's user namespace).
	UID       int64   `json:"uid"`
	GID       int64   `json:"gid"`
	Groups    []int64 `json:"groups"`
	SetGroups bool    `json:"set_groups"`
	User      string  `json:"user,omitempty"`
	// Caps are the capability sets installed (nil: what the uid change
	// leaves, none for a non-root user).
	Caps       *CapSets `json:"caps,omitempty"`
	NoNewPrivs bool     `json:"no_new_privs"`
	// LSM is the label the command is exec'd into; LSMNote says what was
	// found (or that the host has no AppArmor or SELinux).
	LSM     *nsexec.LSMLabel `json:"lsm,omitempty"`
	LSMNote string           `json:"lsm_note,omitempty"`
	// SeccompMode is the target's (0 none, 1 strict, 2 filter); Seccomp the
	// filters copied, oldest first.
	SeccompMode int                    `json:"seccomp_mode"`
	Seccomp     []nsexec.SeccompFilter `json:"-"`
	// SeccompInsns counts the copied filters' instructions.
	SeccompInsns int `json:"seccomp_instructions,omitempty"`
	// Cwd is the target's working directory, where the command starts.
	Cwd string `json:"cwd,omitempty"`
}

// planIdentity decides who the command runs as and its environment.
// A target in a container whose mount namespace is joined (so the command
// is one of the container's binaries) takes the target's identity, as the
// runtime's exec does; --privileged keeps nscope's full root; --user sets
// the user in either case.
func (e *Enterer) planIdentity(plan *EnterPlan, req EnterRequest) error {
	mntJoined := slices.Contains(plan.Join, inspect.MntNS)
	if plan.Container != nil && req.Privileged {
		plan.Privileged = true
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("--privileged: the command runs as nscope's full root inside %s, with every capability and no seccomp filter or security label: "+
			"it can change the running container and, through it, the host", plan.Container))
	}
	root := "/"
	if plan.Root {
		root = filepath.Join(e.procRoot, pidDir(plan.PID), "root")
	}
	var id *EnterIdentity
	var env []string
	if plan.Container != nil && !req.Privileged && mntJoined {
		var err error
		if id, env, err = e.targetIdentity(plan); err != nil {
			return err
		}
	} else if plan.Container != nil && !req.Privileged && req.User == "" {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("the command runs as nscope's full root with the host's binaries inside %s (its mount namespace is not joined, so its identity is not taken)", plan.Container))
	}
	var users []passwdUser
	if req.User != "" || id == nil {
		// Unreadable account files are an empty database: numeric users
		// still work, names are refused by resolveUser.
		data, _ := readInRoot(root, "/etc/passwd")
		users = parsePasswd(data)
	}
	if req.User != "" {
		if err := checkUserSpec(req.User); err != nil {
			return &EnterError{PID: plan.PID, Kind: ErrBadRequest, Msg: err.Error()}
		}
		gdata, _ := readInRoot(root, "/etc/group")
		u, err := resolveUser(req.User, users, parseGroup(gdata))
		if err != nil {
			return &EnterError{PID: plan.PID, Kind: ErrBadRequest, Msg: fmt.Sprintf("enter %d --user: %v", plan.PID, err)}
		}
		if id == nil {
			id = &EnterIdentity{}
		}
		id.UID, id.GID, id.Groups, id.SetGroups, id.User = u.UID, u.GID, u.Groups, true, u.Name
		if id.FromTarget && slices.Contains(plan.Join, inspect.UserNS) && setgroupsDenied(e.procRoot, plan.PID) {
			id.SetGroups = false
			plan.Warnings = append(plan.Warnings, "supplementary groups are not set: setgroups is denied in the target's user namespace")
		}
		env = setEnv(env, "HOME="+u.Home)
		if env == nil {
			env = []string{}
		}
	}
	if id == nil || !id.FromTarget {
		// A plain process: the environment nscope enter always gave,
		// TERM from ours, a standard PATH, HOME of the user inside.
		uid := int64(0)
		if id != nil {
			uid = id.UID
		}
		env = []string{"PATH=" + enterPath, "HOME=" + homeOf(users, uid)}
		if term, ok := os.LookupEnv("TERM"); ok && checkEnvEntry("TERM="+term) == nil {
			env = append(env, "TERM="+term)
		}
	} else {
		plan.envTerm = true
	}
	for _, kv := range req.Env {
		name, _, hasValue := strings.Cut(kv, "=")
		if !hasValue {
			v, ok := os.LookupEnv(name)
			if !ok {
				env = unsetEnv(env, name)
				continue
			}
			kv = name + "=" + v
		}
		env = setEnv(env, kv)
	}
	plan.Identity, plan.Env = id, env
	return nil
}

// targetIdentity reads the target's credentials, confinement and
// environment, mapped into its user namespace when that is joined.
func (e *Enterer) targetIdentity(plan *EnterPlan) (*EnterIdentity, []string, error) {
	pid := plan.PID
	status, err := readProcFile(filepath.Join(e.procRoot, pidDir(pid), "status"))
	if err != nil {
		return nil, nil, procError(pid, "read the credentials", err)
	}
	creds, err := ParseProcCreds(status)
	if err != nil {
		return nil, nil, fmt.Errorf("enter %d: /proc/%d/status: %w", pid, pid, err)
	}
	caps := creds.Caps
	id := &EnterIdentity{FromTarget: true, UID: creds.UID, GID: creds.GID, Groups: creds.Groups, SetGroups: true,
		Caps: &caps, NoNewPrivs: creds.NoNewPrivs, SeccompMode: creds.Seccomp}
	if slices.Contains(plan.Join, inspect.UserNS) {
		if err := e.mapIntoUserNS(plan, id); err != nil {
			return nil, nil, err
		}
	}
	if data, err := readInRoot(filepath.Join(e.procRoot, pidDir(pid), "root"), "/etc/passwd"); err == nil {
		id.User = nameOf(parsePasswd(data), id.UID)
	}
	if cwd, err := os.Readlink(filepath.Join(e.procRoot, pidDir(pid), "cwd")); err == nil {
		id.Cwd = cwd
	}
	lsm, note, err := e.planLSM(pid)
	if err != nil {
		return nil, nil, err
	}
	id.LSM, id.LSMNote = lsm, note
	switch creds.Seccomp {
	case 1:
		plan.Warnings = append(plan.Warnings, "the target is in seccomp strict mode, which allows no exec: the command runs without seccomp")
	case 2:
		filters, err := e.seccomp(pid)
		if err != nil {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("seccomp filter NOT copied, the command runs without it: %v", err))
			break
		}
		id.Seccomp = filters
		for _, f := range filters {
			id.SeccompInsns += len(f.Insns) / 8
		}
		if creds.SeccompFilters >= 0 && creds.SeccompFilters != len(filters) {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("seccomp: the target has %d filters, %d were read", creds.SeccompFilters, len(filters)))
		}
	}
	envData, err := readEnviron(filepath.Join(e.procRoot, pidDir(pid), "environ"))
	if err != nil {
		return nil, nil, procError(pid, "read the environment", err)
	}
	env, dropped := ParseEnviron(envData)
	if dropped > 0 {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("%d entries of the target's environment were left out: not NAME=VALUE, nscope's own _NSCOPE_ variables, or beyond %d entries", dropped, envMax))
	}
	if env == nil {
		env = []string{}
	}
	return id, env, nil
}

// mapIntoUserNS turns the target's IDs, read in our user namespace, into
// its own namespace's, through its uid_map and gid_map.
func (e *Enterer) mapIntoUserNS(plan *EnterPlan, id *EnterIdentity) error {
	pid := plan.PID
	read := func(name string) ([]inspect.IDMapRange, error) {
		data, err := readProcFile(filepath.Join(e.procRoot, pidDir(pid), name))
		if err != nil {
			return nil, procError(pid, "read the "+name, err)
		}
		m, err := inspect.ParseIDMap(data)
		if err != nil {
			return nil, fmt.Errorf("enter %d: %s: %w", pid, name, err)
		}
		return m, nil
	}
	umap, err := read("uid_map")
	if err != nil {
		return err
	}
	gmap, err := read("gid_map")
	if err != nil {
		return err
	}
	var ok bool
	if id.UID, ok = mapInside(umap, id.UID); !ok {
		return &EnterError{PID: pid, Msg: fmt.Sprintf("enter %d: its user ID is not mapped in its own user namespace (uid_map), so it cannot be taken; use --user or --privileged", pid)}
	}
	if id.GID, ok = mapInside(gmap, id.GID); !ok {
		return &EnterError{PID: pid, Msg: fmt.Sprintf("enter %d: its group ID is not mapped in its own user namespace (gid_map), so it cannot be taken; use --user or --privileged", pid)}
	}
	var groups []int64
	var lost []int64
	for _, g := range id.Groups {
		if in, ok := mapInside(gmap, g); ok {
			groups = append(groups, in)
		} else {
			lost = append(lost, g)
		}
	}
	id.Groups = groups
	if len(lost) > 0 {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("supplementary groups %s of the target are not mapped in its user namespace and are left out", formatIDs(lost)))
	}
	if setgroupsDenied(e.procRoot, pid) {
		id.SetGroups = false
		if len(id.Groups) > 0 {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("supplementary groups %s are not set: setgroups is denied in the target's user namespace", formatIDs(id.Groups)))
		}
	}
	return nil
}

// mapInside maps an ID outside a user namespace to its ID inside.
func mapInside(m []inspect.IDMapRange, outside int64) (int64, bool) {
	for _, r := range m {
		if outside >= r.Outside && outside < r.Outside+r.Count {
			return r.Inside + outside - r.Outside, true
		}
	}
	return 0, false
}

// setgroupsDenied reports whether /proc/PID/setgroups says "deny".
func setgroupsDenied(procRoot string, pid int) bool {
	data, err := readProcFile(filepath.Join(procRoot, pidDir(pid), "setgroups"))
	return err == nil && bytes.Equal(bytes.TrimSpace(data), []byte("deny"))
}

// maxEnviron caps the read of /proc/PID/environ (the kernel's limit on
// the argument and environment area is a quarter of the stack limit).
const maxEnviron = 2 << 20

// readEnviron reads /proc/PID/environ, which may exceed one page.
func readEnviron(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(&cappedReader{f: f, left: maxEnviron})
	return buf.Bytes(), err
}

// cappedReader reads at most left bytes.
type cappedReader struct {
	f    *os.File
	left int
}

func (r *cappedReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errors.New("environment larger than 2 MiB")
	}
	if len(p) > r.left {
		p = p[:r.left]
	}
	n, err := r.f.Read(p)
	r.left -= n
	return n, err
}

// setEnv sets NAME=VALUE in env, replacing an entry of the same name.
func setEnv(env []string, kv string) []string {
	name, _, _ := strings.Cut(kv, "=")
	env = unsetEnv(env, name)
	return append(env, kv)
}

// unsetEnv removes every entry of name.
func unsetEnv(env []string, name string) []string {
	return slices.DeleteFunc(env, func(e string) bool { n, _, _ := strings.Cut(e, "="); return n == name })
}

// checkEnvRequest refuses --env values the helper would refuse.
func checkEnvRequest(pid int, env []string) error {
	for _, kv := range env {
		probe := kv
		if !strings.Contains(kv, "=") {
			probe = kv + "="
		}
		if err := checkEnvEntry(probe); err != nil {
			return &EnterError{PID: pid, Kind: ErrBadRequest, Msg: "--env: " + strings.TrimPrefix(err.Error(), "nsexec: ")}
		}
	}
	return nil
}

// refuseFrozen refuses a target whose cgroup is frozen: the command would
// freeze as it joins (docker exec refuses a paused container the same way).
func (e *Enterer) refuseFrozen(plan *EnterPlan) error {
	for _, c := range plan.Cgroups {
		dir := filepath.Dir(c.Procs)
		if c.Same || c.Procs == "" {
			continue
		}
		frozen := false
		if c.Version == 1 && slices.Contains(c.Controllers, "freezer") {
			data, err := os.ReadFile(filepath.Join(dir, "freezer.state"))
			frozen = err == nil && !bytes.Equal(bytes.TrimSpace(data), []byte("THAWED"))
		} else if c.Version == 2 {
			data, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
			frozen = err == nil && bytes.Contains(data, []byte("frozen 1"))
		}
		if frozen {
			return &EnterError{PID: plan.PID, Msg: fmt.Sprintf("process %d is frozen (its %s cgroup %s): the command would freeze as soon as it joined; thaw it first (nscope thaw %s, or the runtime's unpause)",
				plan.PID, c.Hierarchy, c.Path, c.Path)}
		}
	}
	return nil
}
