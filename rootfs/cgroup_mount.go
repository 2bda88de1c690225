package rootfs

import (
	"fmt"
	"os"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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

	groups, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return err
	}
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	mounts := cgroupMounts(string(info), m.rootfs)

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
		name := path.Base(mnt.point)
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
func bindCgroup(dir int, name string, mnt *cgroupMount, cgpath string, attr unix.MountAttr) error {
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
func openHostCgroup(mnt *cgroupMount, cgpath string) (int, error) {
	var rel string
	switch {
	case mnt.root == "/":
		rel = cgpath
	case cgpath == mnt.root || strings.HasPrefix(cgpath, mnt.root+"/"):
		rel = cgpath[len(mnt.root):]
	default:
		return -1, fmt.Errorf("cgroup %s is outside the host's mount of its hierarchy (%s)", cgpath, mnt.root)
	}
	src, err := unix.Open(mnt.point+rel, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open host cgroup %s: %w", mnt.point+rel, err)
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

// cgroupMount is a cgroup or cgroup2 line of mountinfo.
type cgroupMount struct {
	root, point string
	v2          bool
	superOpts   string
}

// cgroupMounts returns the cgroup mounts of mountinfo text, leaving out those
// under the rootfs (a spec mount may already have put some there).
func cgroupMounts(info, rootfs string) []cgroupMount {
	var out []cgroupMount
	for line := range strings.Lines(info) {
		left, right, ok := strings.Cut(line, " - ")
		if !ok || !strings.HasPrefix(right, "cgroup") {
			continue
		}
		fstype, right, _ := strings.Cut(right, " ")
		if fstype != "cgroup" && fstype != "cgroup2" {
			continue
		}
		_, superOpts, _ := strings.Cut(strings.TrimSuffix(right, "\n"), " ")
		f := strings.Fields(left)
		if len(f) < 5 {
			continue
		}
		point := unescapeMountinfo(f[4])
		if point == rootfs || strings.HasPrefix(point, rootfs+"/") {
			continue
		}
		out = append(out, cgroupMount{root: unescapeMountinfo(f[3]), point: point, v2: fstype == "cgroup2", superOpts: superOpts})
	}
	return out
}

// findCgroupMount finds the mount of the v1 hierarchy whose controllers are
// ctrls ("cpu,cpuacct", "name=systemd"), or the cgroup2 mount.
func findCgroupMount(mounts []cgroupMount, ctrls string, v2 bool) *cgroupMount {
next:
	for i := range mounts {
		mnt := &mounts[i]
		if mnt.v2 != v2 {
			continue
		}
		if !v2 {
			opts := "," + mnt.superOpts + ","
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

// unescapeMountinfo undoes the octal escapes (\040 for a space) of a
// mountinfo field.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
