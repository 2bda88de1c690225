package rootfs

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"xrt/mountinfo"
)

// Pivot makes c.Rootfs the root directory and leaves the working directory
// at "/". With pivot_root the host's tree is detached afterwards; with
// NoPivot it is only hidden under the moved mount.
func Pivot(c *Config) error {
	// Opened by path here rather than kept from Prepare: the createContainer
	// hooks ran in between and may have mounted on the rootfs.
	if err := unix.Chdir(c.Rootfs); err != nil {
		return fmt.Errorf("chdir to rootfs: %w", err)
	}
	if c.NoPivot {
		if err := hideFullProcAndSys(c.Rootfs); err != nil {
			return err
		}
		if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("move rootfs to /: %w", err)
		}
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
	} else {
		if err := pivot(); err != nil {
			return err
		}
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir to /: %w", err)
	}
	return nil
}

// pivot makes the working directory the root. pivot_root(".", ".") stacks
// the old root on top of the new one at "/", with no directory needed for
// it. The working directory still names the new root's mount (mount(2)
// does not step onto what is stacked on a starting point), so the old root
// is reached through a descriptor of it: changing propagation through "."
// would make the container's own mounts slaves, and a shared mount the
// config asks for would not be shared.
func pivot() error {
	old, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the old root: %w", err)
	}
	defer unix.Close(old)
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Fchdir(old); err != nil {
		return fmt.Errorf("chdir to the old root: %w", err)
	}
	// The old root holds copies of the host's shared mounts: turn them
	// into slaves so the detach does not unmount anything on the host.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make old root rslave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return nil
}

// hideFullProcAndSys detaches every whole procfs and sysfs mount outside
// rootfs, or covers it with an empty tmpfs when it cannot be detached.
// Without pivot_root the host's tree stays in the mount namespace under the
// moved root, and the kernel lets a user namespace mount a new procfs or
// sysfs when some mount of it there is fully visible: masked paths would be
// one `unshare -mrpf mount -t proc` away from being undone.
func hideFullProcAndSys(rootfs string) error {
	mounts, err := mountinfo.GetMounts(func(m *mountinfo.Info) (bool, bool) {
		full := (m.FSType == "proc" || m.FSType == "sysfs") && m.Root == "/"
		return !full || m.Mountpoint == rootfs || strings.HasPrefix(m.Mountpoint, rootfs+"/"), false
	})
	if err != nil {
		return fmt.Errorf("no-pivot: list mounts: %w", err)
	}
	// Deepest first: /proc/sys/fs/binfmt_misc and friends go before /proc.
	slices.SortFunc(mounts, func(a, b *mountinfo.Info) int { return len(b.Mountpoint) - len(a.Mountpoint) })
	for _, m := range mounts {
		if unix.Unmount(m.Mountpoint, unix.MNT_DETACH) == nil {
			continue
		}
		if err := unix.Mount("tmpfs", m.Mountpoint, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0"); err != nil {
			return fmt.Errorf("no-pivot: hide the %s mount at %s of the host: %w", m.FSType, m.Mountpoint, err)
		}
	}
	return nil
}
