package inspect

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// UTSContent is what a UTS namespace holds: its names. See
// uts_namespaces(7).
type UTSContent struct {
	// Hostname is what uname -n prints inside (sethostname(2)).
	Hostname string `json:"hostname"`
	// DomainName is the NIS domain name (setdomainname(2)), "(none)" when
	// never set.
	DomainName string `json:"domain_name"`
}

// readUTSContent joins the namespace from a throw-away thread and asks
// uname(2) there.
func (s *Scanner) readUTSContent(r *nsReach) (*UTSContent, error) {
	if r.fd < 0 {
		return nil, ErrNotLive
	}
	var u unix.Utsname
	if err := joinedThread(r.fd, UTSNS, func() error { return unix.Uname(&u) }); err != nil {
		return nil, err
	}
	return &UTSContent{Hostname: cString(u.Nodename[:]), DomainName: cString(u.Domainname[:])}, nil
}

// cString returns the bytes of b up to its first NUL, as a string.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
