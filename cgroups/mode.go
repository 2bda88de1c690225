package cgroups

import (
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"xrt/mountinfo"
)

// Mode is the cgroup layout of the host.
type Mode int

const (
	// Legacy: cgroup v1 only, one hierarchy per controller (or co-mounted
	// group of controllers) under /sys/fs/cgroup.
	Legacy Mode = iota + 1
	// Hybrid: cgroup v1 controllers, plus a cgroup2 tree at
	// /sys/fs/cgroup/unified that tracks processes (and holds the
	// controllers that no v1 hierarchy has).
	Hybrid
	// Unified: cgroup v2 only, mounted at /sys/fs/cgroup.
	Unified
)

func (m Mode) String() string {
	switch m {
	case Legacy:
		return "legacy"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

const (
	cgroupRoot              = "/sys/fs/cgroup"
	unifiedMountpoint       = cgroupRoot
	hybridUnifiedMountpoint = cgroupRoot + "/unified"
)

var (
	modeOnce sync.Once
	mode     Mode
)

// DetectMode reports the host's cgroup layout: Unified when
// /sys/fs/cgroup is a cgroup2 filesystem, Hybrid when it is not but
// /sys/fs/cgroup/unified is, else Legacy. The answer is computed once per
// process (one or two statfs calls).
func DetectMode() Mode {
	modeOnce.Do(func() {
		var st unix.Statfs_t
		switch {
		case unix.Statfs(cgroupRoot, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC:
			mode = Unified
		case unix.Statfs(hybridUnifiedMountpoint, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC:
			mode = Hybrid
		default:
			mode = Legacy
		}
	})
	return mode
}

// v1Controllers are the controller names a cgroup v1 mount lists among its
// super options. Every other option (rw, name=, xattr, ...) is not one.
var v1Controllers = map[string]bool{
	"blkio": true, "cpu": true, "cpuacct": true, "cpuset": true,
	"devices": true, "freezer": true, "hugetlb": true, "memory": true,
	"misc": true, "net_cls": true, "net_prio": true, "perf_event": true,
	"pids": true, "rdma": true,
}

// mounts is the host's cgroup mount table.
type mounts struct {
	// subsys maps a v1 controller ("cpu") to the mount point of its
	// hierarchy ("/sys/fs/cgroup/cpu,cpuacct"). Co-mounted controllers
	// share the mount point.
	subsys map[string]string
	// hierarchies are the distinct mount points of the v1 hierarchies that
	// hold at least one controller, in mountinfo order, then those of the
	// named hierarchies without controllers (name=systemd): a container's
	// processes are placed in those too, at the same path, as runc does.
	hierarchies []string
	// unified is the cgroup2 mount point, "" if none.
	unified string
}

var (
	mountsOnce sync.Once
	mountsVal  *mounts
	mountsErr  error
)

// hostMounts parses the cgroup mounts of /proc/self/mountinfo on first use
// and caches it.
func hostMounts() (*mounts, error) {
	mountsOnce.Do(func() {
		infos, err := mountinfo.CgroupMounts()
		if err != nil {
			mountsErr = fmt.Errorf("cgroups: %w", err)
			return
		}
		mountsVal = parseMounts(infos)
	})
	return mountsVal, mountsErr
}

// parseMounts builds the mount table from cgroup and cgroup2 entries. When
// a controller is mounted more than once, the first mount wins, except
// that a mount under /sys/fs/cgroup is preferred to one elsewhere.
func parseMounts(infos []*mountinfo.Info) *mounts {
	m := &mounts{subsys: make(map[string]string)}
	preferred := func(mp string) bool { return strings.HasPrefix(mp, cgroupRoot+"/") || mp == cgroupRoot }
	for _, i := range infos {
		switch i.FSType {
		case "cgroup2":
			if m.unified == "" || (!preferred(m.unified) && preferred(i.Mountpoint)) {
				m.unified = i.Mountpoint
			}
		case "cgroup":
			took := false
			for opt := range strings.SplitSeq(i.VFSOptions, ",") {
				if !v1Controllers[opt] {
					continue
				}
				if old, ok := m.subsys[opt]; ok && (preferred(old) || !preferred(i.Mountpoint)) {
					continue
				}
				m.subsys[opt] = i.Mountpoint
				took = true
			}
			if took && !contains(m.hierarchies, i.Mountpoint) {
				m.hierarchies = append(m.hierarchies, i.Mountpoint)
			}
		}
	}
	// Drop hierarchies that a preferred duplicate replaced entirely.
	kept := m.hierarchies[:0]
	for _, h := range m.hierarchies {
		for _, mp := range m.subsys {
			if mp == h {
				kept = append(kept, h)
				break
			}
		}
	}
	m.hierarchies = append(kept, namedHierarchies(infos, preferred)...)
	return m
}

// namedHierarchies are the mount points of the v1 hierarchies that have a
// name= and no controller, one per name (a preferred mount wins).
func namedHierarchies(infos []*mountinfo.Info, preferred func(string) bool) []string {
	byName := map[string]string{}
	var order []string
	for _, i := range infos {
		if i.FSType != "cgroup" {
			continue
		}
		name := ""
		for opt := range strings.SplitSeq(i.VFSOptions, ",") {
			if v1Controllers[opt] {
				name = ""
				break
			}
			if n, ok := strings.CutPrefix(opt, "name="); ok {
				name = n
			}
		}
		if name == "" {
			continue
		}
		old, seen := byName[name]
		if !seen {
			order = append(order, name)
		}
		if !seen || (!preferred(old) && preferred(i.Mountpoint)) {
			byName[name] = i.Mountpoint
		}
	}
	out := make([]string, 0, len(order))
	for _, n := range order {
		out = append(out, byName[n])
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
