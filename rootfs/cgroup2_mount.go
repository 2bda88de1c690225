package rootfs

import (
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/mountinfo"
)

// cgroup2 mounts the cgroup2 hierarchy at dest on a pure cgroup v2 host.
//
// With a new cgroup namespace it binds the container's own cgroup
// directory. init unshares that namespace only after the mounts (it is
// rooted where init is when it unshares), so a cgroup2 mount made here
// would be rooted at the host's root and show every other cgroup
// (mountinfo root "/../.."). The bind shows what a mount made inside the
// namespace shows: the container's cgroup as "/", the same in mountinfo.
//
// Without one it binds the host's hierarchy: the view a fresh mount would
// give. A fresh cgroup2 mount made from the host's (initial) cgroup
// namespace is not harmless: the kernel applies its options to the one
// cgroup2 superblock, so a mount without nsdelegate and
// memory_recursiveprot would turn them off for the whole host. A user
// namespace could not make it anyway (EPERM).
//
// In a joined cgroup namespace a fresh mount shows that namespace's root,
// and changes nothing of the host's; where a user namespace may not make
// one, it gets the host's hierarchy too.
func (m *mounter) cgroup2(dest string, o *MountOptions) error {
	host, err := hostCgroup2(m.rootfs)
	if err != nil {
		return err
	}
	switch {
	case m.cgroupns:
		cgpath := m.cgroupPath
		if cgpath == "" {
			if cgpath, err = ownCgroup2(m.self); err != nil {
				return err
			}
		}
		return m.bindCgroup2(host, cgpath, dest, o)
	case m.cgroupnsJoined:
		err = m.filesystem(&specs.Mount{Type: "cgroup2", Source: "cgroup2"}, dest, o)
		if err == unix.EPERM && m.userns {
			return m.bindCgroup2(host, host.Root, dest, o)
		}
		return err
	default:
		return m.bindCgroup2(host, host.Root, dest, o)
	}
}

// bindCgroup2 binds the host's directory of cgroup cgpath on dest, with
// the flags of o.
func (m *mounter) bindCgroup2(host *mountinfo.Info, cgpath, dest string, o *MountOptions) error {
	src, err := openHostCgroup(host, cgpath)
	if err != nil {
		return err
	}
	defer unix.Close(src)
	bind := *o
	bind.Flags |= unix.MS_BIND
	return m.bindFd(src, true, dest, &bind)
}

// hostCgroup2 finds the host's cgroup2 mount at /sys/fs/cgroup (not one
// under rootfs).
func hostCgroup2(rootfs string) (*mountinfo.Info, error) {
	mounts, err := cgroupMounts(rootfs)
	if err != nil {
		return nil, err
	}
	for _, mnt := range mounts {
		if mnt.FSType == "cgroup2" && mnt.Mountpoint == "/sys/fs/cgroup" {
			return mnt, nil
		}
	}
	return nil, fmt.Errorf("no cgroup2 mount at /sys/fs/cgroup in /proc/self/mountinfo: mount the cgroup v2 hierarchy there")
}

// ownCgroup2 is the process's cgroup2 path, from /proc/self/cgroup's
// "0::/path" line.
func ownCgroup2(self string) (string, error) {
	b, err := os.ReadFile(self + "/cgroup")
	if err != nil {
		return "", err
	}
	for line := range strings.Lines(string(b)) {
		if p, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "0::"); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("no cgroup2 line (0::) in /proc/self/cgroup")
}
