package unpack

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// whiteout converts the OCI whiteout parent/base (base starts with ".wh.")
// to overlay form. Whiteouts only hide lower layers: an entry of this layer
// with the whited-out name stays, and a directory is made opaque instead.
func (a *applier) whiteout(parent, base string) error {
	pd, err := a.dirFD(parent, true)
	if err != nil {
		return err
	}
	pfd := pd.fd
	if base == opaqueMarker {
		if err := unix.Fsetxattr(pfd, opaqueXattr, []byte("y"), 0); err != nil {
			return fmt.Errorf("mark directory %q opaque: %w", parent, err)
		}
		a.stats.Whiteouts++
		return nil
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil // aufs bookkeeping (.wh..wh.plnk and the like): no overlay meaning
	}
	name := base[len(whiteoutPrefix):]
	if name == "" || name == "." || name == ".." {
		a.warnf("%s: skipped: whiteout of %q names nothing", childPath(parent, base), name)
		return nil
	}
	err = unix.Mknodat(pfd, name, unix.S_IFCHR, 0)
	if err == unix.EEXIST {
		var st unix.Stat_t
		if err = unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			err = unix.Lsetxattr(procPath(pfd, name), opaqueXattr, []byte("y"), 0)
		}
	}
	if err != nil {
		return fmt.Errorf("create overlay whiteout for %q: %w", childPath(parent, name), err)
	}
	a.stats.Whiteouts++
	return nil
}
