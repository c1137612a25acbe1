package inspect

import (
	"golang.org/x/sys/unix"
)

// nsfs ioctl requests. See ioctl_ns(2).
const (
	nsGetUserNS   = 0xb701
	nsGetParent   = 0xb702
	nsGetNSType   = 0xb703
	nsGetOwnerUID = 0xb704
)

// nsFDID returns the namespace ID of an open nsfs file descriptor.
func nsFDID(fd int) (NSID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return NSID{}, err
	}
	return NSID{Dev: st.Dev, Ino: st.Ino}, nil
}

// nsOwner returns an fd for the user namespace that owns the namespace
// referred to by fd (NS_GET_USERNS). EPERM means the owner is outside the
// caller's user namespace (or fd is the initial user namespace).
func nsOwner(fd int) (int, error) {
	return unix.IoctlRetInt(fd, nsGetUserNS)
}

// nsParent returns an fd for the parent of a pid or user namespace
// (NS_GET_PARENT). EPERM means there is no parent visible to the caller.
func nsParent(fd int) (int, error) {
	return unix.IoctlRetInt(fd, nsGetParent)
}

// nsOwnerUID returns the UID of the creator of a user namespace
// (NS_GET_OWNER_UID).
func nsOwnerUID(fd int) (int, error) {
	v, err := unix.IoctlGetUint32(fd, nsGetOwnerUID)
	return int(v), err
}
