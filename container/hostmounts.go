package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A container without a mount namespace has its mounts made in ours (the
// runtime-spec has a runtime mount the config's mounts whatever the
// namespaces), on a private bind of the rootfs over itself, which init
// makes. Delete detaches that bind, and everything on it, at once.
//
// hostMountFile records the mount that was on top at the rootfs before
// init ran, so that delete detaches only what this container stacked
// there, never an engine's own rootfs mount.
const hostMountFile = "hostmount"

// recordHostMount notes the mount on top at the rootfs now.
func (c *Container) recordHostMount() error {
	id, err := mountID(c.Rootfs)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.dir, hostMountFile), []byte(strconv.FormatUint(id, 10)), 0o600)
}

// detachHostMounts detaches the rootfs bind init made, if it is still
// there: the mount on top of the rootfs is not the one recorded before.
func (c *Container) detachHostMounts() error {
	if !c.HostMounts || c.Rootfs == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(c.dir, hostMountFile))
	if err != nil {
		return nil // init never ran
	}
	before, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return fmt.Errorf("container %q: %s: %w", c.ID, hostMountFile, err)
	}
	now, err := mountID(c.Rootfs)
	if err != nil || now == before {
		return nil
	}
	if err := unix.Unmount(c.Rootfs, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
		return fmt.Errorf("container %q: detach its mounts at %s: %w", c.ID, c.Rootfs, err)
	}
	return nil
}

func mountID(path string) (uint64, error) {
	var st unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_MNT_ID, &st); err != nil {
		return 0, fmt.Errorf("statx %s: %w", path, err)
	}
	if st.Mask&unix.STATX_MNT_ID == 0 {
		return 0, fmt.Errorf("statx %s: no mount id (Linux 5.8 or later is needed for a container without a mount namespace)", path)
	}
	return st.Mnt_id, nil
}
