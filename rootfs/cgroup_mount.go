package rootfs

import (
	"fmt"
	"os"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/mountinfo"
)

// cgroup mounts the process's cgroups at dest for a spec mount of type
// "cgroup". A pure cgroup v2 host gets the container's cgroup2 directory
// (see cgroup2). A v1 (or hybrid)
// host gets a tmpfs with one directory per hierarchy the process is in,
// named as on the host (cpu,cpuacct with cpu and cpuacct symlinks to it), and
// the unified hierarchy as "unified" on hybrid hosts. Each directory is a
// bind of the container's cgroup directory (Config.Cgroup), which init
// joins in every hierarchy, named ones (name=systemd) included; without
// one, of the process's own. A bind shows the same tree as a fresh mount
// made inside the container's cgroup namespace would, and needs neither
// the namespace nor the process in its cgroup yet: init joins both later,
// before exec, and may be joining them while create's thread mounts this.
func (m *mounter) cgroup(dest string, o *MountOptions) error {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return m.cgroup2(dest, o)
	}

	groups, err := os.ReadFile(m.self + "/cgroup")
	if err != nil {
		return err
	}
	mounts, err := cgroupMounts(m.rootfs)
	if err != nil {
		return err
	}

	ro := o.Flags&unix.MS_RDONLY != 0
	flags := o.Flags & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | atimeFlags | unix.MS_NODIRATIME)
	tmpfs := MountOptions{Flags: flags, Data: joinData(o.Data, "mode=755")}
	if err := m.filesystem(&specs.Mount{Type: "tmpfs", Source: "tmpfs"}, dest, &tmpfs); err != nil {
		return err
	}
	dir, err := openat2(m.root, cleanRel(dest), unix.O_PATH|unix.O_DIRECTORY, inRoot)
	if err != nil {
		return err
	}
	defer unix.Close(dir)

	// A fresh cgroup mount reuses the host's superblock: MS_RDONLY makes
	// only the new mount read-only.
	subFlags := flags | o.Flags&unix.MS_RDONLY
	bindAttr, _ := (&MountOptions{Flags: subFlags}).bindAttr()
	for line := range strings.Lines(string(groups)) {
		id, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
		ctrls, cgpath, _ := strings.Cut(rest, ":")
		v2 := id == "0" && ctrls == ""
		mnt := findCgroupMount(mounts, ctrls, v2)
		if mnt == nil {
			continue // not mounted on the host: nothing to show
		}
		name := path.Base(mnt.Mountpoint)
		if v2 {
			name = "unified"
		}
		if m.cgroupPath != "" {
			cgpath = m.cgroupPath
		}
		err = bindCgroup(dir, name, mnt, cgpath, bindAttr)
		if err != nil {
			return fmt.Errorf("%s: %w", path.Join(dest, name), err)
		}
		if strings.Contains(name, ",") {
			for c := range strings.SplitSeq(name, ",") {
				if err := unix.Symlinkat(name, dir, c); err != nil && err != unix.EEXIST {
					return fmt.Errorf("symlink %s: %w", path.Join(dest, c), err)
				}
			}
		}
	}

	if ro {
		if err := setMountAttr(dir, unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}, 0); err != nil {
			return fmt.Errorf("make read-only: %w", err)
		}
	}
	return m.finish(dir, &MountOptions{Propagation: o.Propagation, RecSet: o.RecSet, RecClear: o.RecClear})
}

// bindCgroup binds the process's directory of the hierarchy mnt on dir/name,
// dir being the tmpfs this package has just mounted, which nothing else
// can reach yet: a detached copy of the host's directory, attached on a
// new directory there, where no path can have changed under the mount.
func bindCgroup(dir int, name string, mnt *mountinfo.Info, cgpath string, attr unix.MountAttr) error {
	src, err := hostCgroupPath(mnt, cgpath)
	if err != nil {
		return err
	}
	tree, err := unix.OpenTree(unix.AT_FDCWD, src, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return fmt.Errorf("bind host cgroup %s (open_tree): %w", src, err)
	}
	defer unix.Close(tree)
	if err := unix.Mkdirat(dir, name, 0o755); err != nil {
		return fmt.Errorf("mkdir: %w", err)
	}
	if err := unix.MoveMount(tree, "", dir, name, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("bind host cgroup %s (move_mount): %w", src, err)
	}
	return setMountAttr(tree, attr, 0)
}

// openHostCgroup opens (O_PATH) the directory of cgroup cgpath in the
// host's mount mnt of its hierarchy.
func openHostCgroup(mnt *mountinfo.Info, cgpath string) (int, error) {
	path, err := hostCgroupPath(mnt, cgpath)
	if err != nil {
		return -1, err
	}
	src, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open host cgroup %s: %w", path, err)
	}
	return src, nil
}

// hostCgroupPath is the directory of cgroup cgpath in the host's mount mnt
// of its hierarchy.
func hostCgroupPath(mnt *mountinfo.Info, cgpath string) (string, error) {
	switch {
	case mnt.Root == "/":
		return mnt.Mountpoint + cgpath, nil
	case cgpath == mnt.Root || strings.HasPrefix(cgpath, mnt.Root+"/"):
		return mnt.Mountpoint + cgpath[len(mnt.Root):], nil
	}
	return "", fmt.Errorf("cgroup %s is outside the host's mount of its hierarchy (%s)", cgpath, mnt.Root)
}

// cgroupMounts returns the host's cgroup and cgroup2 mounts, leaving out
// any under the rootfs. They are the process's (mountinfo.CgroupMounts,
// read before the container's mounts): the Go init's namespace, and the
// one create's thread builds a root in, are copies of the host's, with
// the same cgroup mounts outside the rootfs.
func cgroupMounts(rootfs string) ([]*mountinfo.Info, error) {
	all, err := mountinfo.CgroupMounts()
	if err != nil {
		return nil, fmt.Errorf("list the host's cgroup mounts: %w", err)
	}
	keepUnder := mountinfo.PrefixFilter(rootfs)
	mounts := make([]*mountinfo.Info, 0, len(all))
	for _, m := range all {
		if outside, _ := keepUnder(m); outside { // skipped by it: not under rootfs
			mounts = append(mounts, m)
		}
	}
	return mounts, nil
}

// findCgroupMount finds the mount of the v1 hierarchy whose controllers are
// ctrls ("cpu,cpuacct", "name=systemd"), or the cgroup2 mount.
func findCgroupMount(mounts []*mountinfo.Info, ctrls string, v2 bool) *mountinfo.Info {
next:
	for _, mnt := range mounts {
		if (mnt.FSType == "cgroup2") != v2 {
			continue
		}
		if !v2 {
			opts := "," + mnt.VFSOptions + ","
			for c := range strings.SplitSeq(ctrls, ",") {
				if !strings.Contains(opts, ","+c+",") {
					continue next
				}
			}
		}
		return mnt
	}
	return nil
}
