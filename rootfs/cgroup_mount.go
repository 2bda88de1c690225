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
// bind of the container's cgroup directory (Config.Cgroup; named
// hierarchies such as name=systemd, which no container joins, keep the
// process's own). A bind shows the same tree as a fresh mount made inside
// the container's cgroup namespace would, and needs neither the namespace
// nor the process in its cgroup yet: init joins both later, before exec.
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
		if m.cgroupPath != "" && !strings.HasPrefix(ctrls, "name=") {
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

// bindCgroup binds the process's directory of the hierarchy mnt on dir/name.
func bindCgroup(dir int, name string, mnt *mountinfo.Info, cgpath string, attr unix.MountAttr) error {
	src, err := openHostCgroup(mnt, cgpath)
	if err != nil {
		return err
	}
	defer unix.Close(src)
	top, err := mountIn(dir, name, func(target string) error {
		return unix.Mount(procFd(src), target, "", unix.MS_BIND, "")
	})
	if err != nil {
		return err
	}
	defer unix.Close(top)
	return setMountAttr(top, attr, 0)
}

// openHostCgroup opens (O_PATH) the directory of cgroup cgpath in the
// host's mount mnt of its hierarchy.
func openHostCgroup(mnt *mountinfo.Info, cgpath string) (int, error) {
	var rel string
	switch {
	case mnt.Root == "/":
		rel = cgpath
	case cgpath == mnt.Root || strings.HasPrefix(cgpath, mnt.Root+"/"):
		rel = cgpath[len(mnt.Root):]
	default:
		return -1, fmt.Errorf("cgroup %s is outside the host's mount of its hierarchy (%s)", cgpath, mnt.Root)
	}
	src, err := unix.Open(mnt.Mountpoint+rel, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open host cgroup %s: %w", mnt.Mountpoint+rel, err)
	}
	return src, nil
}

// mountIn makes the directory name in dir, a tmpfs this package has just
// mounted, has mount put a mount on it, checks that it landed there and
// returns an fd of the new mount.
func mountIn(dir int, name string, mount func(target string) error) (int, error) {
	sub, err := mkdirOpen(dir, name, 0o755)
	if err != nil {
		return -1, err
	}
	defer unix.Close(sub)
	if err := mount(procFd(sub)); err != nil {
		return -1, err
	}
	top, err := unix.Openat(dir, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := checkLanded(sub, top); err != nil {
		unix.Close(top)
		return -1, err
	}
	return top, nil
}

// cgroupMounts returns the cgroup and cgroup2 mounts of this thread's mount
// namespace, leaving out those under the rootfs (a spec mount may already
// have put some there).
func cgroupMounts(rootfs string) ([]*mountinfo.Info, error) {
	keepUnder := mountinfo.PrefixFilter(rootfs)
	mounts, err := mountinfo.GetThreadMounts(func(m *mountinfo.Info) (bool, bool) {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			return true, false
		}
		outside, _ := keepUnder(m) // skipped by it: not under rootfs
		return !outside, false
	})
	if err != nil {
		return nil, fmt.Errorf("list the host's cgroup mounts: %w", err)
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
