package rootfs

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Mounts made from descriptors alone (open_tree, fsopen, fsmount,
// move_mount), where mount(2) would need a path through /proc/self/fd: after
// the pivot, /proc is the container's, in which the thread that finishes
// the root from outside the container's PID namespace (Config.Pid) has no
// /proc/self.

// cloneOnto mounts a detached copy of the mount at src (with the mounts
// under it when rec) on dst, as mount(2) with MS_BIND would.
func cloneOnto(src int, rec bool, dst int) error {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_EMPTY_PATH)
	if rec {
		flags |= unix.AT_RECURSIVE
	}
	tree, err := unix.OpenTree(src, "", flags)
	if err != nil {
		return fmt.Errorf("open_tree: %w", err)
	}
	defer unix.Close(tree)
	return moveOnto(tree, dst)
}

// moveOnto attaches the detached mount tree on dst.
func moveOnto(tree, dst int) error {
	if err := unix.MoveMount(tree, "", dst, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount: %w", err)
	}
	return nil
}

// newMountOnto configures the filesystem context fsfd with the source,
// mount(2) flags and data of a new mount, creates it and attaches it on dst.
func newMountOnto(fsfd int, source string, flags uintptr, data string, dst int) error {
	if err := unix.FsconfigSetString(fsfd, "source", source); err != nil {
		return fmt.Errorf("fsconfig source %s: %w", source, err)
	}
	for _, sb := range sbFlagNames {
		if flags&sb.ms != 0 {
			if err := unix.FsconfigSetFlag(fsfd, sb.name); err != nil {
				return fmt.Errorf("fsconfig %s: %w", sb.name, err)
			}
		}
	}
	for opt := range strings.SplitSeq(data, ",") {
		if opt == "" {
			continue
		}
		var err error
		if k, v, ok := strings.Cut(opt, "="); ok {
			err = unix.FsconfigSetString(fsfd, k, strings.Trim(v, `"`))
		} else {
			err = unix.FsconfigSetFlag(fsfd, opt)
		}
		if err != nil {
			return fmt.Errorf("fsconfig %s: %w", opt, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return fmt.Errorf("fsconfig create: %w", err)
	}
	attr, _ := (&MountOptions{Flags: flags}).bindAttr()
	mnt, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, int(attr.Attr_set))
	if err != nil {
		return fmt.Errorf("fsmount: %w", err)
	}
	defer unix.Close(mnt)
	return moveOnto(mnt, dst)
}

// sbFlagNames are the mount(2) flags that belong to the superblock, by the
// names fsconfig takes for them; the others are the mount's (fsmount).
var sbFlagNames = []struct {
	ms   uintptr
	name string
}{
	{unix.MS_RDONLY, "ro"},
	{unix.MS_SYNCHRONOUS, "sync"},
	{unix.MS_DIRSYNC, "dirsync"},
	{unix.MS_LAZYTIME, "lazytime"},
	{unix.MS_MANDLOCK, "mand"},
}

// procByFd mounts the container's procfs (Config.ProcFS) on dst.
func (m *mounter) procByFd(source string, dst int, flags uintptr, data string) error {
	fsfd, err := m.procFS()
	if err != nil {
		return err
	}
	defer unix.Close(fsfd)
	return newMountOnto(fsfd, source, flags, data, dst)
}
