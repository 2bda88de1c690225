package rootfs

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Overlay is an overlayfs root: lower dirs top first, one upper and one
// work dir. It is what image mode gives a container (Docker's overlay2).
type Overlay struct {
	Lower       []string
	Upper, Work string
	// Legacy gives the mount(2) data for kernels without the new mount
	// API's "lowerdir+" (before 6.8), and chdir, where relative paths in
	// it start ("" when they are absolute). It is called only on those
	// kernels. See image.Rootfs.MountData.
	Legacy func() (data, chdir string, err error)
}

// MountOverlay mounts o on target. Each lower dir goes to the kernel as
// its own "lowerdir+" parameter (fsconfig), so there is no limit of one
// page of options on the number of layers; older kernels get mount(2)
// with o.Legacy.
func MountOverlay(target string, o *Overlay) error {
	err := mountOverlayFsconfig(target, o)
	if errors.Is(err, errNoLowerdirPlus) {
		err = mountOverlayLegacy(target, o)
	}
	if err != nil {
		return fmt.Errorf("mount overlay on %s: %w", target, err)
	}
	return nil
}

var errNoLowerdirPlus = errors.New("overlay: no lowerdir+ parameter (kernel before 6.8)")

func mountOverlayFsconfig(target string, o *Overlay) error {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		if err == unix.ENOSYS {
			return errNoLowerdirPlus
		}
		return fmt.Errorf("fsopen: %w", err)
	}
	defer unix.Close(fsfd)
	if !hasOverlayParser(fsfd) {
		return errNoLowerdirPlus
	}
	for i, l := range o.Lower {
		if err := unix.FsconfigSetString(fsfd, "lowerdir+", l); err != nil {
			if i == 0 && err == unix.EINVAL {
				return errNoLowerdirPlus
			}
			return fmt.Errorf("lower dir %s: %w", l, err)
		}
	}
	if err := unix.FsconfigSetString(fsfd, "upperdir", o.Upper); err != nil {
		return fmt.Errorf("upper dir %s: %w", o.Upper, err)
	}
	if err := unix.FsconfigSetString(fsfd, "workdir", o.Work); err != nil {
		return fmt.Errorf("work dir %s: %w", o.Work, err)
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("create the overlay (see dmesg for overlayfs' reason): %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// hasOverlayParser reports whether overlayfs checks each fsconfig
// parameter as it comes (Linux 6.5 and later). Before, the kernel's
// legacy fs_context takes any key, "lowerdir+" too, and overlayfs refuses
// it only at create ("unrecognized mount option"): a key no filesystem
// knows tells the two apart. The probe leaves nothing in fsfd a later
// parameter depends on.
func hasOverlayParser(fsfd int) bool {
	return unix.FsconfigSetFlag(fsfd, "xrt-probe-no-such-option") != nil
}

// mountOverlayLegacy mounts with one page of options, from its chdir when
// its paths are relative. The chdir is the whole process's: the caller
// runs nothing else meanwhile.
func mountOverlayLegacy(target string, o *Overlay) error {
	if o.Legacy == nil {
		return errors.New("overlay: this kernel has no lowerdir+ (Linux 6.8) and no mount data was given for mount(2)")
	}
	data, chdir, err := o.Legacy()
	if err != nil {
		return fmt.Errorf("overlay without lowerdir+ (kernel before 6.8): %w", err)
	}
	if chdir != "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		if err := unix.Chdir(chdir); err != nil {
			return err
		}
		defer unix.Chdir(wd)
	}
	if err := unix.Mount("overlay", target, "overlay", 0, data); err != nil {
		return fmt.Errorf("mount(2) with one lowerdir= option (kernel before 6.8; see dmesg for overlayfs' reason): %w", err)
	}
	return nil
}

// Unmount detaches the mount at target, if there is one. Only that mount:
// nothing under it is touched (MNT_DETACH, never a recursive removal).
func Unmount(target string) error {
	err := unix.Unmount(target, unix.MNT_DETACH)
	if err == nil || err == unix.EINVAL || err == unix.ENOENT {
		return nil // not a mount point, or already gone
	}
	return fmt.Errorf("unmount %s: %w", target, err)
}
