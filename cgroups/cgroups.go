// Package cgroups places a container's processes in control groups and
// sets, reads and tears down their limits, on cgroup v1 ("legacy"), hybrid
// (v1 controllers plus an empty cgroup2 tree at /sys/fs/cgroup/unified) and
// cgroup v2 ("unified") hosts, behind one [Manager] interface.
//
// The package does not read the OCI runtime-spec: callers convert
// linux.resources with the cgroups/specconv subpackage into [Resources].
//
// Layout: cgroups.go (the interface and New), mode.go (host detection and
// the cached mount table), path.go (cgroupsPath rules), v1.go and v2.go
// (the two managers), then one file per controller holding its validation,
// its v1 and v2 writers and its statistics: memory.go, cpu.go, cpuset.go,
// pids.go, blkio.go, hugetlb.go, net.go, rdma.go, unified.go, devices.go
// (with devices_bpf.go, the cgroup v2 device filter), freezer.go; stats.go
// holds the statistics types and fs.go the file helpers. The systemd
// driver is a third Manager: systemd.go (a transient unit over D-Bus, then
// the v2 manager on its cgroup), systemd_path.go (slice:prefix:name),
// systemd_props.go and systemd_devices.go (Resources as unit properties),
// systemd_conn.go (connecting to the system or a user's manager).
//
// Every write goes straight to the kernel (open O_WRONLY|O_TRUNC|O_CLOEXEC,
// write, close). A failed write names the file, the value and the path:
//
//	set memory.limit_in_bytes to 1000: write /sys/fs/cgroup/memory/xrt/a/memory.limit_in_bytes: device or resource busy
package cgroups

import (
	"errors"
	"fmt"
)

// Manager drives one container's cgroup. Implementations are not safe for
// concurrent use; callers serialize on the container lock.
type Manager interface {
	// Apply creates the cgroup (every mounted v1 controller hierarchy, plus
	// the same path in the cgroup2 tree on hybrid hosts; the one directory
	// on v2 hosts, with the parents' controllers enabled) and moves pid
	// into it. A pid of -1 only creates the directories. After a failed
	// Apply the caller calls Destroy.
	Apply(pid int) error
	// Set validates r, then writes its non-nil fields (nil fields are left
	// as they are: `xrt update` passes a partial Resources). Nothing is
	// written when validation fails.
	Set(r *Resources) error
	// Freeze stops every process of the cgroup and waits until the kernel
	// reports FROZEN. Thaw resumes them.
	Freeze() error
	Thaw() error
	// State reports Thawed, Frozen or Freezing.
	State() (string, error)
	// Pids lists every process in the cgroup and its descendants.
	Pids() ([]int, error)
	// Stats reads usage counters; controllers that are absent are left zero.
	Stats() (*Stats, error)
	// OOMKillCount reports how many processes the OOM killer killed in the
	// cgroup (v1 memory.oom_control oom_kill, v2 memory.events oom_kill).
	OOMKillCount() (uint64, error)
	// Kill sends SIGKILL to every process of the cgroup (v2: cgroup.kill;
	// otherwise freeze, signal each, thaw). The calling process is spared.
	Kill() error
	// Destroy removes the cgroup directories, children first, retrying
	// EBUSY for about a second. Directories already gone are fine.
	Destroy() error
	// Path is the directory of a v1 subsystem ("memory", "cpu", ...; ""
	// when the host does not mount it). Path("") is the cgroup2 directory
	// on hybrid hosts ("" on legacy hosts). On v2 hosts every subsystem
	// lives in the one directory that Path returns for any name.
	Path(subsystem string) string
	// Exists reports whether any of the cgroup's directories exists.
	Exists() bool
	// ThreadFiles lists the v1 "tasks" files into which a thread writes
	// "0" to move itself, alone, into the cgroup (after Apply(-1)). Moving
	// a single thread skips the kernel's global cgroup_threadgroup_rwsem,
	// and with it the RCU grace period (10 to 25 ms on small VMs) that
	// moving a whole process through cgroup.procs waits for. The cgroup2
	// part, Path(""), is joined at birth with CLONE_INTO_CGROUP instead.
	ThreadFiles() []string
}

// Freezer states, as State reports them.
const (
	Thawed   = "THAWED"
	Frozen   = "FROZEN"
	Freezing = "FREEZING"
)

// Warnf, when set, receives the warnings of Set about settings that this
// host or cgroup version ignores (kernel memory limits, swappiness on v2,
// ...). Nil discards them. Set it once at start-up (e.g. to logs.Warnf).
var Warnf func(format string, args ...any)

func warnf(format string, args ...any) {
	if Warnf != nil {
		Warnf(format, args...)
	}
}

// ErrNotMounted is wrapped by the errors for settings whose controller the
// host does not provide.
var ErrNotMounted = errors.New("cgroup controller not available")

func notMounted(what, controller string) error {
	return fmt.Errorf("%s requested but the %s controller is not mounted on this host: %w", what, controller, ErrNotMounted)
}

// New returns the manager of the cgroup at path (absolute, clean, as
// [PathFor] returns it; relative to every hierarchy's mount point) for a
// host of the given mode ([DetectMode]). It creates nothing: see Apply.
// On legacy and hybrid hosts the first call parses /proc/self/mountinfo;
// the result is cached for the life of the process.
func New(path string, mode Mode) (Manager, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	switch mode {
	case Unified:
		return newV2(unifiedMountpoint, path, true), nil
	case Legacy, Hybrid:
		mounts, err := hostMounts()
		if err != nil {
			return nil, err
		}
		if len(mounts.hierarchies) == 0 {
			return nil, errors.New("cgroups: no cgroup v1 controller is mounted (see /proc/self/mountinfo)")
		}
		unified := ""
		if mode == Hybrid {
			unified = mounts.unified
			if unified == "" {
				unified = hybridUnifiedMountpoint
			}
		}
		return newV1(mounts, unified, path), nil
	}
	return nil, fmt.Errorf("cgroups: unknown mode %d", int(mode))
}
