// Package rootfs builds the container's filesystem view from inside the
// container's init process: it mounts the spec's mounts into the root
// directory, populates /dev, switches the root with pivot_root and then masks
// and write-protects the paths the spec asks for.
//
// The init calls Prepare, then (after the createContainer hooks) Pivot, then
// Finalize, all on one locked OS thread inside the container's new mount
// namespace. Every path inside the container is resolved with openat2
// RESOLVE_IN_ROOT and mounted on through its fd, so symlinks in the image
// cannot redirect a mount out of the root.
//
// It needs Linux 5.6 or later (openat2). Checking that each mount landed
// where intended needs 5.8 (statx mount ids); recursive mount flags (rro,
// rnosuid, ..., and recursively read-only readonlyPaths) need 5.12
// (mount_setattr), before which flags are changed with bind remounts.
package rootfs

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Config is what rootfs needs; the init builds it from the validated spec.
type Config struct {
	// Rootfs is the absolute host path of the container's root directory.
	Rootfs string
	// Spec is the validated spec: Mounts, Root.Readonly and the Linux
	// Devices, MaskedPaths, ReadonlyPaths, RootfsPropagation, Namespaces and
	// MountLabel fields are used.
	Spec *specs.Spec
	// NoPivot switches the root with MS_MOVE and chroot instead of pivot_root.
	NoPivot bool
	// Cgroup is the container's cgroup path ("/xrt/<id>"), which cgroup
	// mounts show; empty: the process's own cgroups.
	Cgroup string
	// IDMapSource returns the idmapped mount i of Spec.Mounts, detached,
	// its source taken as this mount namespace sees it now, with the
	// idmapping applied: the parent makes it (init lacks the privilege over
	// the source's filesystem). The caller closes it.
	IDMapSource func(i int) (int, error)
	// InHostNamespace: the container has no mount namespace: Prepare
	// leaves our root's propagation alone and keeps everything it mounts
	// on a private bind of Rootfs over itself (which delete detaches).
	InHostNamespace bool
	// OpenSource, when set, asks the parent for a detached mount of a bind
	// source that init may not open (EACCES or EPERM in a user namespace).
	OpenSource func(path string, recursive bool) (int, error)
	// Pid is the process the root is made for, when the caller is not
	// that process but a thread of its parent that entered its mount
	// namespace (create's setup of a fast init, containerinit.SetupFor):
	// its /proc/<pid>/cgroup, not ours, says where it is. 0: ourselves.
	Pid int
	// ProcFS, when set, returns a procfs context (fsopen) made by a
	// process of the container's PID namespace: a proc mount made by a
	// caller outside it would show the caller's processes.
	ProcFS func() (int, error)

	// lateReadonly are the destinations of read-only tmpfs mounts (and
	// /dev), mounted writable by Prepare so that devices, mount points and
	// modes can be made in them, and made read-only by Finalize.
	lateReadonly []string
}

// self is the /proc directory of the process the root is made for.
func (c *Config) self() string {
	if c.Pid != 0 {
		return "/proc/" + strconv.Itoa(c.Pid)
	}
	return "/proc/self"
}

func (c *Config) linux() *specs.Linux {
	if c.Spec.Linux == nil {
		return &specs.Linux{}
	}
	return c.Spec.Linux
}

func (c *Config) hasNamespace(t specs.LinuxNamespaceType) bool {
	for _, ns := range c.linux().Namespaces {
		if ns.Type == t {
			return true
		}
	}
	return false
}

// hasNewNamespace reports whether the spec asks for a new namespace of
// type t (one without a path to join).
func (c *Config) hasNewNamespace(t specs.LinuxNamespaceType) bool {
	for _, ns := range c.linux().Namespaces {
		if ns.Type == t && ns.Path == "" {
			return true
		}
	}
	return false
}

// Prepare mounts everything into c.Rootfs while the host's tree is still
// visible: it stops propagation back to the host, makes Rootfs a mount point,
// mounts Spec.Mounts in order and creates the devices.
func Prepare(c *Config) error {
	prop := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if p := c.linux().RootfsPropagation; p == "private" || p == "rprivate" {
		prop = unix.MS_PRIVATE | unix.MS_REC
	}
	if !c.InHostNamespace {
		if err := unix.Mount("", "/", "", prop, ""); err != nil {
			return fmt.Errorf("make / %s: %w", propName(prop), err)
		}
	}
	if err := unix.Mount(c.Rootfs, c.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount rootfs %s: %w", c.Rootfs, err)
	}
	if c.InHostNamespace {
		// The host's mounts must not see the container's, nor the other way.
		if err := unix.Mount("", c.Rootfs, "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("make the rootfs bind %s private: %w", c.Rootfs, err)
		}
	}
	// Opened after the bind, so that it is the new mount we mount into.
	rootfd, err := unix.Open(c.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open rootfs: %w", err)
	}
	defer unix.Close(rootfd)

	m := &mounter{root: rootfd, rootfs: c.Rootfs, cgroupPath: c.Cgroup, userns: c.hasNamespace(specs.UserNamespace), cgroupns: c.hasNewNamespace(specs.CgroupNamespace), openSource: c.OpenSource, procFS: c.ProcFS, self: c.self()}
	m.cgroupnsJoined = c.hasNamespace(specs.CgroupNamespace) && !m.cgroupns
	if c.Spec.Linux != nil && c.Spec.Linux.MountLabel != "" && selinuxEnabled() {
		m.label = c.Spec.Linux.MountLabel
	}
	for i := range c.Spec.Mounts {
		var err error
		if IsIDMapped(&c.Spec.Mounts[i]) {
			err = m.idmapped(c.IDMapSource, i, &c.Spec.Mounts[i])
		} else {
			err = m.mount(&c.Spec.Mounts[i])
		}
		if err != nil {
			return err
		}
	}
	c.lateReadonly = m.lateReadonly
	return m.createDevices(c)
}

func propName(flags uintptr) string {
	name := "private"
	switch {
	case flags&unix.MS_SHARED != 0:
		name = "shared"
	case flags&unix.MS_SLAVE != 0:
		name = "slave"
	case flags&unix.MS_UNBINDABLE != 0:
		name = "unbindable"
	}
	if flags&unix.MS_REC != 0 {
		return "r" + name
	}
	return name
}

func selinuxEnabled() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/selinux", &st) == nil && uint32(st.Type) == unix.SELINUX_MAGIC
}
