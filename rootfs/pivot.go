package rootfs

import (
	"fmt"

	"golang.org/x/sys/unix"
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
		if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
			return fmt.Errorf("move rootfs to /: %w", err)
		}
		if err := unix.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
	} else {
		// pivot_root(".", ".") stacks the old root on top of the new one at
		// "/", with no directory needed for it; "." then names the old root.
		if err := unix.PivotRoot(".", "."); err != nil {
			return fmt.Errorf("pivot_root: %w", err)
		}
		// The old root holds copies of the host's shared mounts: turn them
		// into slaves so the detach does not unmount anything on the host.
		if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("make old root rslave: %w", err)
		}
		if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
			return fmt.Errorf("detach old root: %w", err)
		}
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir to /: %w", err)
	}
	return nil
}
