package unpack

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// existing describes what an earlier entry left where a new one goes.
type existing struct {
	dir      bool
	whiteout bool // an overlay whiteout: character device 0:0
}

func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// clearAt makes room for e after its creation failed with EEXIST: a later
// entry replaces an earlier one with the same path. When keepDir is set and
// the existing entry is a directory it is kept (the new directory entry only
// updates its attributes). keep names parent directories, besides e's, that
// the caller still holds descriptors of.
func (a *applier) clearAt(e target, keepDir bool, keep ...string) (existing, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(e.pfd, e.base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return existing{}, fmt.Errorf("inspect the earlier entry it replaces: %w", err)
	}
	kind := st.Mode & unix.S_IFMT
	ex := existing{dir: kind == unix.S_IFDIR, whiteout: isWhiteout(&st)}
	if ex.dir && keepDir {
		return ex, nil
	}
	if err := removeAllAt(e.pfd, e.base, ex.dir); err != nil {
		return ex, fmt.Errorf("remove the earlier entry it replaces: %w", err)
	}
	if ex.dir || kind == unix.S_IFLNK {
		// Cached paths may have gone through what was just removed.
		a.dropCache(append(keep, e.parent)...)
	}
	return ex, nil
}

// removeAllAt removes name inside dirfd and, if it is a directory,
// everything below it, never following symlinks. The layer directory is
// Apply's own, so nothing is mounted under it.
func removeAllAt(dirfd int, name string, isDir bool) error {
	if !isDir {
		return unix.Unlinkat(dirfd, name, 0)
	}
	err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	if err != unix.ENOTEMPTY && err != unix.EEXIST {
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	names, err := readNames(fd)
	if err == nil {
		for _, child := range names {
			var st unix.Stat_t
			if err = unix.Fstatat(fd, child, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				break
			}
			if err = removeAllAt(fd, child, st.Mode&unix.S_IFMT == unix.S_IFDIR); err != nil {
				break
			}
		}
	}
	unix.Close(fd)
	if err != nil {
		return err
	}
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}

// readNames lists a directory's entries other than . and ..
func readNames(fd int) ([]string, error) {
	var names []string
	buf := make([]byte, 16<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}
