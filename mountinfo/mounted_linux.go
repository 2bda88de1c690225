package mountinfo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Mounted reports whether path is a mount point. path is made absolute and
// cleaned; a symlink as its last component is not followed, so a symlink
// pointing at a mount point is not one itself. A path that does not exist
// is an error (errors.Is(err, fs.ErrNotExist)).
//
// On Linux 5.8 and later one statx call answers (STATX_ATTR_MOUNT_ROOT);
// elsewhere Mounted parses /proc/self/mountinfo.
func Mounted(path string) (bool, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return false, fmt.Errorf("mountinfo: %w", err)
	}
	var stx unix.Statx_t
	err = unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT, unix.STATX_TYPE, &stx)
	switch {
	case err == nil && stx.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0:
		return stx.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0, nil
	case err == nil:
		// Kernel before 5.8: statx works but lacks the attribute.
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EPERM):
		// No statx, or a seccomp filter that refuses it.
		if _, err := os.Lstat(path); err != nil {
			return false, err
		}
	default:
		return false, &fs.PathError{Op: "statx", Path: path, Err: err}
	}
	return mountedByMountinfo(path)
}

func mountedByMountinfo(path string) (bool, error) {
	// mountinfo lists resolved paths: resolve the parent directories the
	// way the kernel would, but not the last component.
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return false, err
	}
	mounts, err := GetMounts(SingleEntryFilter(filepath.Join(dir, filepath.Base(path))))
	if err != nil {
		return false, err
	}
	return len(mounts) > 0, nil
}
