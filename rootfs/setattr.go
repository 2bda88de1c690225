package rootfs

import (
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noMountSetattr is set once mount_setattr(2) answered ENOSYS (Linux < 5.12).
var noMountSetattr atomic.Bool

var errNoRecursiveAttr = errors.New("recursive mount flags need Linux 5.12 or later (mount_setattr)")

// setMountAttr changes the flags of the mount fd is the root of (with
// AT_RECURSIVE, of the mounts under it too), keeping those attr does not
// name. That keeps the flags a user namespace locks (nosuid, nodev, noexec,
// ro, atime) without reading them first. Kernels without mount_setattr get a
// bind remount built from fstatfs, which cannot be recursive.
func setMountAttr(fd int, attr unix.MountAttr, flags uint) error {
	if !noMountSetattr.Load() {
		err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|flags, &attr)
		if err != unix.ENOSYS {
			return err
		}
		noMountSetattr.Store(true)
	}
	if flags&unix.AT_RECURSIVE != 0 {
		return errNoRecursiveAttr
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return fmt.Errorf("statfs: %w", err)
	}
	cur := uintptr(0)
	for _, f := range statfsFlags {
		if uint64(st.Flags)&f.st != 0 {
			cur |= f.ms
		}
	}
	if cur&(unix.MS_NOATIME|unix.MS_RELATIME) == 0 {
		cur |= unix.MS_STRICTATIME // else a remount naming nodiratime resets it to relatime
	}
	for _, f := range flagAttrs {
		if attr.Attr_clr&f.attr != 0 {
			cur &^= f.ms
		}
		if attr.Attr_set&f.attr != 0 {
			cur |= f.ms
		}
	}
	if attr.Attr_clr&unix.MOUNT_ATTR__ATIME != 0 {
		cur &^= atimeFlags
		switch attr.Attr_set & unix.MOUNT_ATTR__ATIME {
		case unix.MOUNT_ATTR_NOATIME:
			cur |= unix.MS_NOATIME
		case unix.MOUNT_ATTR_STRICTATIME:
			cur |= unix.MS_STRICTATIME
		default:
			cur |= unix.MS_RELATIME
		}
	}
	return unix.Mount("", procFd(fd), "", unix.MS_REMOUNT|unix.MS_BIND|cur, "")
}

const stNosymfollow = 0x2000 // ST_NOSYMFOLLOW, missing from x/sys

var statfsFlags = [...]struct {
	st uint64
	ms uintptr
}{
	{unix.ST_RDONLY, unix.MS_RDONLY},
	{unix.ST_NOSUID, unix.MS_NOSUID},
	{unix.ST_NODEV, unix.MS_NODEV},
	{unix.ST_NOEXEC, unix.MS_NOEXEC},
	{unix.ST_NOATIME, unix.MS_NOATIME},
	{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
	{unix.ST_RELATIME, unix.MS_RELATIME},
	{stNosymfollow, unix.MS_NOSYMFOLLOW},
}
