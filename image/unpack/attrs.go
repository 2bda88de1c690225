package unpack

import (
	"archive/tar"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	paxXattrPrefix = "SCHILY.xattr."
	// overlayXattrPrefix is overlayfs's private namespace. A layer must not
	// set it directly (it could forge opaque dirs or redirects); whiteouts
	// are the only way in.
	overlayXattrPrefix = "trusted.overlay."
	opaqueXattr        = "trusted.overlay.opaque"
)

// checkOwner rejects ids chown cannot represent; -1 would mean "unchanged".
func checkOwner(hdr *tar.Header) error {
	if hdr.Uid < 0 || int64(hdr.Uid) >= math.MaxUint32 || hdr.Gid < 0 || int64(hdr.Gid) >= math.MaxUint32 {
		return fmt.Errorf("invalid owner %d:%d", hdr.Uid, hdr.Gid)
	}
	return nil
}

func permBits(hdr *tar.Header) uint32 {
	return uint32(hdr.Mode) & 0o7777
}

func timespecs(hdr *tar.Header) [2]unix.Timespec {
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	return [2]unix.Timespec{toTimespec(atime), toTimespec(hdr.ModTime)}
}

func toTimespec(t time.Time) unix.Timespec {
	return unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

// setAttrsFD sets owner, mode, xattrs and times on the open regular file
// e. modeExact says it was created with its final permissions. Owner goes
// first because chown clears setuid/setgid and file capabilities; the
// xattrs (security.capability among them) follow chmod.
func (a *applier) setAttrsFD(fd int, e target, hdr *tar.Header, modeExact bool) error {
	chowned := false
	if a.creds.needChown(hdr, e.psetgid) {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("chown %d:%d: %w", hdr.Uid, hdr.Gid, err)
		}
		chowned = true
	}
	if chowned || !modeExact {
		if err := unix.Fchmod(fd, permBits(hdr)); err != nil {
			return fmt.Errorf("chmod %o: %w", permBits(hdr), err)
		}
	}
	if len(hdr.PAXRecords) > 0 {
		if err := a.setXattrs(fd, "", e.name, hdr, true); err != nil {
			return err
		}
	}
	ts := timespecs(hdr)
	if err := futimens(fd, &ts); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

// futimens is utimensat(fd, NULL, ts, 0); x/sys only offers the path form,
// which costs a string conversion and a path lookup per file.
func futimens(fd int, ts *[2]unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// setAttrsAt sets owner, mode, xattrs and, unless it is a directory (whose
// times are set last), times on e.base, which Apply itself just created and
// which is never followed if it is a symlink.
func (a *applier) setAttrsAt(e target, hdr *tar.Header) error {
	if a.creds.needChown(hdr, e.psetgid) {
		if err := unix.Fchownat(e.pfd, e.base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown %d:%d: %w", hdr.Uid, hdr.Gid, err)
		}
	}
	if hdr.Typeflag != tar.TypeSymlink {
		if err := chmodAt(e.pfd, e.base, permBits(hdr)); err != nil {
			return fmt.Errorf("chmod %o: %w", permBits(hdr), err)
		}
	}
	if len(hdr.PAXRecords) > 0 {
		if err := a.setXattrs(-1, procPath(e.pfd, e.base), e.name, hdr, hdr.Typeflag == tar.TypeDir); err != nil {
			return err
		}
	}
	if hdr.Typeflag != tar.TypeDir {
		ts := timespecs(hdr)
		if err := unix.UtimesNanoAt(e.pfd, e.base, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("set times: %w", err)
		}
	}
	return nil
}

// chmodAt changes the mode of a non-symlink without following a symlink
// (fchmodat2, Linux 6.6); on older kernels plain fchmodat is equivalent here
// because the file was just created by Apply in a directory only it writes.
func chmodAt(dirfd int, name string, mode uint32) error {
	err := unix.Fchmodat(dirfd, name, mode, unix.AT_SYMLINK_NOFOLLOW)
	if err == unix.EOPNOTSUPP || err == unix.ENOSYS {
		err = unix.Fchmodat(dirfd, name, mode, 0)
	}
	return err
}

// procPath names base inside the directory fd dirfd without resolving any
// path again: the magic link jumps straight to that directory and base, the
// last component, is not followed by the l*xattr calls.
func procPath(dirfd int, base string) string {
	return "/proc/self/fd/" + strconv.Itoa(dirfd) + "/" + base
}

// setXattrs applies the SCHILY.xattr.* PAX records, on fd when p is "",
// else on the path p without following it. fileOrDir tells whether user.*
// xattrs are possible (the kernel allows them on files and dirs only).
func (a *applier) setXattrs(fd int, p, name string, hdr *tar.Header, fileOrDir bool) error {
	for k, v := range hdr.PAXRecords {
		attr, ok := strings.CutPrefix(k, paxXattrPrefix)
		if !ok {
			continue
		}
		if attr == aclDefaultXattr {
			a.creds.acl = true
		}
		if strings.HasPrefix(attr, overlayXattrPrefix) {
			a.warnf("%s: dropped xattr %s: the overlay namespace is reserved for whiteouts", name, attr)
			continue
		}
		var err error
		if p == "" {
			err = unix.Fsetxattr(fd, attr, []byte(v), 0)
		} else {
			err = unix.Lsetxattr(p, attr, []byte(v), 0)
		}
		switch {
		case err == nil:
		case err == unix.EOPNOTSUPP && (strings.HasPrefix(attr, "security.") || strings.HasPrefix(attr, "system.")):
			a.warnf("%s: dropped xattr %s: not supported by the store's filesystem", name, attr)
		case err == unix.EPERM && !fileOrDir && strings.HasPrefix(attr, "user."):
			a.warnf("%s: dropped xattr %s: the kernel allows user.* xattrs on files and directories only", name, attr)
		default:
			return fmt.Errorf("set xattr %s: %w", attr, err)
		}
	}
	return nil
}

// dirTime is a directory's times, set after the whole stream so that
// creating its children does not overwrite its mtime.
type dirTime struct {
	name string
	ts   [2]unix.Timespec
}

func (a *applier) setDirTimes() error {
	for _, d := range a.times {
		fd := a.root
		if d.name != "." {
			var err error
			// O_NOFOLLOW: a directory a later entry replaced by a symlink
			// is skipped rather than having its target's times changed.
			fd, err = openInRoot(a.root, d.name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC)
			if err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP {
				continue // replaced by a later entry
			}
			if err != nil {
				return fmt.Errorf("open directory %q to set its times: %w", d.name, err)
			}
		}
		err := unix.UtimesNanoAt(fd, "", d.ts[:], unix.AT_EMPTY_PATH)
		if fd != a.root {
			unix.Close(fd)
		}
		if err != nil {
			return fmt.Errorf("set times of directory %q: %w", d.name, err)
		}
	}
	return nil
}
