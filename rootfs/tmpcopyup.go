package rootfs

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyUp copies the tree that a tmpfs now covers into it (the tmpcopyup
// option). lower is an fd of the destination taken before the mount: opening
// "." from it stays on the covered directory, since "." never crosses into a
// mount stacked on top. Owners, modes, symlinks and device nodes are kept;
// hard links, times and xattrs are not.
func copyUp(lower, upper int) error {
	src, err := unix.Openat(lower, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	dst, err := unix.Openat(upper, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(src)
		return err
	}
	return copyDir(src, dst, "")
}

// copyDir copies the entries of src into dst and closes both.
func copyDir(src, dst int, rel string) error {
	d := os.NewFile(uintptr(src), rel)
	defer d.Close()
	defer unix.Close(dst)
	entries, err := d.ReadDir(-1)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if err := copyEntry(src, dst, name); err != nil {
			return fmt.Errorf("%s: %w", rel+"/"+name, err)
		}
	}
	return nil
}

func copyEntry(src, dst int, name string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(src, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	perm := st.Mode & 0o7777
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		if err := unix.Mkdirat(dst, name, 0o700); err != nil {
			return err
		}
		s, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		t, err := unix.Openat(dst, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(s)
			return err
		}
		if err := copyDir(s, t, name); err != nil {
			return err
		}
	case unix.S_IFREG:
		if err := copyFile(src, dst, name); err != nil {
			return err
		}
	case unix.S_IFLNK:
		buf := make([]byte, st.Size+1)
		n, err := unix.Readlinkat(src, name, buf)
		if err != nil {
			return err
		}
		if err := unix.Symlinkat(string(buf[:n]), dst, name); err != nil {
			return err
		}
	case unix.S_IFSOCK:
		return nil // a socket is nothing without its listener
	default:
		if err := unix.Mknodat(dst, name, st.Mode&unix.S_IFMT|0o600, int(st.Rdev)); err != nil {
			return err
		}
	}
	if err := unix.Fchownat(dst, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return nil
	}
	// After the chown, which drops setuid and setgid.
	return unix.Fchmodat(dst, name, perm, 0)
}

func copyFile(src, dst int, name string) error {
	s, err := unix.Openat(src, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	in := os.NewFile(uintptr(s), name)
	defer in.Close()
	t, err := unix.Openat(dst, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	out := os.NewFile(uintptr(t), name)
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
