package rootfs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Finalize runs after Pivot, with container paths: it makes the readonly
// paths read-only, masks the masked paths, makes / read-only if asked and
// applies the rootfs propagation.
func Finalize(c *Config) error {
	rootfd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /: %w", err)
	}
	l := c.linux()
	f := finalizer{root: rootfd, null: -1, maskDir: -1, label: l.MountLabel}
	defer f.close()
	for _, p := range l.ReadonlyPaths {
		if err := f.readonly(p); err != nil {
			return fmt.Errorf("readonly path %s: %w", p, err)
		}
	}
	for _, dest := range c.lateReadonly {
		if err := f.makeReadonly(dest); err != nil {
			return fmt.Errorf("make mount %s read-only: %w", dest, err)
		}
	}
	masked := make(map[string]bool, len(l.MaskedPaths))
	for _, p := range l.MaskedPaths {
		// A path listed twice is masked once: a second mount would only
		// stack on the first.
		if clean := cleanRel(p); masked[clean] {
			continue
		} else {
			masked[clean] = true
		}
		if err := f.mask(p); err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	if c.Spec.Root != nil && c.Spec.Root.Readonly {
		if err := setMountAttr(rootfd, unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}, 0); err != nil {
			return fmt.Errorf("make / read-only: %w", err)
		}
	}
	if p := l.RootfsPropagation; p != "" {
		flags := rootPropagation(p)
		if flags == 0 {
			return fmt.Errorf("rootfs propagation %q: unknown", p)
		}
		if err := unix.Mount("", "/", "", flags, ""); err != nil {
			return fmt.Errorf("make / %s: %w", p, err)
		}
	}
	return nil
}

func rootPropagation(p string) uintptr {
	var flags uintptr
	switch p {
	case "shared", "rshared":
		flags = unix.MS_SHARED
	case "slave", "rslave":
		flags = unix.MS_SLAVE
	case "private", "rprivate":
		flags = unix.MS_PRIVATE
	case "unbindable", "runbindable":
		flags = unix.MS_UNBINDABLE
	default:
		return 0
	}
	if p[0] == 'r' { // the recursive variants
		flags |= unix.MS_REC
	}
	return flags
}

type finalizer struct {
	root    int
	null    int    // verified /dev/null, opened on first use
	maskDir int    // the read-only tmpfs of the first masked directory, shared by the others
	label   string // SELinux mount label for the masking tmpfs
}

func (f *finalizer) close() {
	unix.Close(f.root)
	closeFd(f.null)
	closeFd(f.maskDir)
}

// open resolves p inside the new root; a missing path is (-1, nil).
func (f *finalizer) open(p string, resolve uint64) (int, error) {
	fd, err := openat2(f.root, cleanRel(p), unix.O_PATH, resolve)
	if err == unix.ENOENT {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	return fd, nil
}

// readonly bind-mounts p on itself and makes the bind, and everything under
// it, read-only; its other flags stay as they are.
func (f *finalizer) readonly(p string) error {
	fd, err := f.open(p, inRoot)
	if fd < 0 {
		return err
	}
	defer unix.Close(fd)
	if err := cloneOnto(fd, true, fd); err != nil {
		return err
	}
	top, err := landedIn(f.root, fd, p)
	if err != nil {
		return err
	}
	defer unix.Close(top)
	ro := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	err = setMountAttr(top, ro, unix.AT_RECURSIVE)
	if err == errNoRecursiveAttr {
		err = setMountAttr(top, ro, 0) // old kernels: the mounts under it stay writable
	}
	if err != nil {
		return fmt.Errorf("make read-only: %w", err)
	}
	return nil
}

// makeReadonly makes the mount at dest read-only, by itself: the mounts
// under it keep their flags.
func (f *finalizer) makeReadonly(dest string) error {
	fd, err := openat2(f.root, cleanRel(dest), unix.O_PATH|unix.O_DIRECTORY, inRoot)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return setMountAttr(fd, unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}, 0)
}

// mask hides p: a directory under an empty read-only tmpfs, anything else
// under /dev/null. A symlink anywhere in p is refused. Every masked
// directory shows the same tmpfs (binds of the first), as with runc: one
// superblock per container, not one per path.
func (f *finalizer) mask(p string) error {
	fd, err := f.open(p, inRoot|unix.RESOLVE_NO_SYMLINKS)
	if fd < 0 {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	dir := st.Mode&unix.S_IFMT == unix.S_IFDIR
	switch {
	case dir && f.maskDir >= 0:
		err = cloneOnto(f.maskDir, false, fd)
	case dir:
		data := ""
		if f.label != "" && selinuxEnabled() {
			data = `context="` + f.label + `"`
		}
		var fsfd int
		if fsfd, err = unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC); err != nil {
			return fmt.Errorf("fsopen tmpfs: %w", err)
		}
		err = newMountOnto(fsfd, "tmpfs", unix.MS_RDONLY, data, fd)
		unix.Close(fsfd)
	default:
		var null int
		if null, err = f.devNull(); err != nil {
			return err
		}
		err = cloneOnto(null, false, fd)
	}
	if err != nil {
		return err
	}
	top, err := landedIn(f.root, fd, p)
	if err != nil {
		return err
	}
	if dir && f.maskDir < 0 {
		f.maskDir = top
		return nil
	}
	unix.Close(top)
	return nil
}

// devNull opens the container's /dev/null once and checks that it is the
// null device (CVE-2025-31133: a /dev/null replaced by a symlink or another
// file would turn the mask into a bind of that file).
func (f *finalizer) devNull() (int, error) {
	if f.null >= 0 {
		return f.null, nil
	}
	fd, err := openat2(f.root, "dev/null", unix.O_PATH, inRoot|unix.RESOLVE_NO_SYMLINKS)
	if err == nil {
		var st unix.Stat_t
		if err = unix.Fstat(fd, &st); err == nil && (st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3)) {
			err = errors.New("not a character device 1:3")
		}
		if err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		return -1, fmt.Errorf("/dev/null is not the null device: refusing to mask with it (%w)", err)
	}
	f.null = fd
	return fd, nil
}
