package rootfs

import (
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/kernel"
)

// IsIDMapped tells a mount that asks for an idmapping: idmap, ridmap, or
// uid/gidMappings of its own.
func IsIDMapped(sm *specs.Mount) bool {
	return ParseMountOptions(sm.Options).IDMap || len(sm.UIDMappings)+len(sm.GIDMappings) > 0
}

// idmapped gets spec mount i's idmapped mount from source (Config.IDMapSource)
// and moves it in.
func (m *mounter) idmapped(source func(int) (int, error), i int, sm *specs.Mount) error {
	dest := filepath.Clean("/" + sm.Destination)
	if source == nil {
		return fmt.Errorf("error mounting %q to rootfs at %q: idmapped mounts need the runtime's help, which is not available here", sm.Source, dest)
	}
	fd, err := source(i)
	if err != nil {
		return fmt.Errorf("error mounting %q to rootfs at %q: %w", sm.Source, dest, err)
	}
	defer unix.Close(fd)
	return m.moveIn(fd, sm)
}

// moveIn puts an idmapped mount, detached and ready (see Config.IDMapSource),
// on the mount's destination and applies its flags, as bind does.
func (m *mounter) moveIn(fd int, sm *specs.Mount) error {
	dest := filepath.Clean("/" + sm.Destination)
	o := ParseMountOptions(sm.Options)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("mount %s on %s: idmapped mount: %w", sm.Source, dest, err)
	}
	dstfd, err := m.destination(dest, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer unix.Close(dstfd)
	if err := unix.MoveMount(fd, "", dstfd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("mount %s on %s: move the idmapped mount in: %w", sm.Source, dest, err)
	}
	if err := m.settle(dstfd, dest, &o); err != nil {
		return fmt.Errorf("error mounting %q to rootfs at %q: %w", sm.Source, dest, err)
	}
	return nil
}

// IDMapMount makes the detached, idmapped bind mount of src that init
// moves into place: open_tree(OPEN_TREE_CLONE), then
// mount_setattr(MOUNT_ATTR_IDMAP) with usernsFd, a user namespace holding
// the mapping. rbind clones the whole tree; ridmap maps it all.
func IDMapMount(src string, rbind, ridmap bool, usernsFd int) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if rbind {
		flags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, src, flags)
	if err != nil {
		return -1, fmt.Errorf("open_tree %s: %w", src, kernel.OpenTree.Check(err))
	}
	at := uint(unix.AT_EMPTY_PATH)
	if ridmap {
		at |= unix.AT_RECURSIVE
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(usernsFd)}
	if err := unix.MountSetattr(fd, "", at, attr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("idmap %s (does its filesystem support idmapped mounts?): %w", src, kernel.IDMappedMounts.Check(err))
	}
	return fd, nil
}
