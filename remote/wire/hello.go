package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
)

// Protocol is the version of the protocol this nscope speaks, and
// MinProtocol the oldest version it still speaks. A change a peer of the
// previous version would misread raises Protocol; dropping support for
// an old version raises MinProtocol.
const (
	Protocol    = 1
	MinProtocol = 1
)

// protocolOverride and minProtocolOverride, set at link time
// (go build -ldflags '-X github.com/nscope/nscope/remote/wire.protocolOverride=0'),
// make a binary that speaks another protocol version: the tests' stand-in
// for an nscope built before a protocol change.
var protocolOverride, minProtocolOverride string

// Versions returns the protocol versions this binary speaks: the newest
// and the oldest.
func Versions() (newest, oldest int) {
	newest, oldest = Protocol, MinProtocol
	if n, err := strconv.Atoi(protocolOverride); err == nil {
		newest = n
	}
	if n, err := strconv.Atoi(minProtocolOverride); err == nil {
		oldest = n
	}
	return newest, min(oldest, newest)
}

// Roles of the two ends of a connection.
const (
	RoleClient = "client"
	RoleAgent  = "agent"
)

// HelloMsg is the first frame each side sends: who it is and which
// protocol versions it speaks.
type HelloMsg struct {
	// Program is always "nscope": anything else is not a peer.
	Program string `json:"program"`
	// Role is RoleClient or RoleAgent.
	Role string `json:"role"`
	// Protocol and MinProtocol are the newest and oldest versions spoken.
	Protocol    int `json:"protocol"`
	MinProtocol int `json:"min_protocol"`
	// Version is the build: module version and VCS revision.
	Version string `json:"version"`
	// GOOS and GOARCH are the binary's platform.
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	// Hostname and EUID are the agent's host name and effective UID.
	Hostname string `json:"hostname,omitempty"`
	EUID     int    `json:"euid"`
	// Executable is the agent's binary on its host.
	Executable string `json:"executable,omitempty"`
}

// NewHello returns this binary's hello for role.
func NewHello(role string) HelloMsg {
	newest, oldest := Versions()
	return HelloMsg{Program: "nscope", Role: role, Protocol: newest, MinProtocol: oldest, Version: BuildVersion(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
}

// Marshal encodes h as a frame payload.
func (h HelloMsg) Marshal() []byte {
	data, _ := json.Marshal(h)
	return data
}

// ParseHello decodes a hello payload.
func ParseHello(payload []byte) (HelloMsg, error) {
	var h HelloMsg
	if err := json.Unmarshal(payload, &h); err != nil {
		return h, fmt.Errorf("hello: %w: %w", ErrNotNscope, err)
	}
	if h.Program != "nscope" {
		return h, fmt.Errorf("hello from %q: %w", h.Program, ErrNotNscope)
	}
	return h, nil
}

// ErrVersion says the two sides share no protocol version.
var ErrVersion = errors.New("protocol version mismatch")

// Negotiate returns the protocol version two sides speak together: the
// newest both know. When they share none it says which side to upgrade,
// in words for the user at the client: host names the agent's host.
func Negotiate(client, agent HelloMsg, host string) (int, error) {
	v := min(client.Protocol, agent.Protocol)
	switch {
	case agent.Protocol < client.MinProtocol:
		return 0, fmt.Errorf("%w: nscope on %s (%s) speaks protocol %d, and this nscope (%s) needs %d or newer: upgrade nscope on %s, or run with --install to use this binary there",
			ErrVersion, host, agent.Version, agent.Protocol, client.Version, client.MinProtocol, host)
	case client.Protocol < agent.MinProtocol:
		return 0, fmt.Errorf("%w: this nscope (%s) speaks protocol %d, and nscope on %s (%s) needs %d or newer: upgrade nscope here",
			ErrVersion, client.Version, client.Protocol, host, agent.Version, agent.MinProtocol)
	}
	return v, nil
}

// BuildVersion names this build: the main module's version and, when
// built from a checkout, the VCS revision (with "+dirty" for local
// changes).
func BuildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && v == "(devel)" {
		return rev + dirty
	}
	if rev != "" {
		return v + " " + rev + dirty
	}
	return v
}
