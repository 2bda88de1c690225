package cgroups

import (
	"os"
	"strings"
)

// Prewarm starts, in the background of a command that is about to move a
// process into a cgroup, the wait that move would otherwise pay in full.
//
// Every write to a cgroup.procs file takes the kernel's global
// cgroup_threadgroup_rwsem for writing, and the first writer after a quiet
// spell waits for an RCU grace period (about 10 to 25 ms on small VMs);
// writers that follow within a grace period do not. Prewarm writes the
// caller into the cgroup it is already in (no change at all), so that by the
// time init is moved the period has mostly passed. Errors do not matter:
// the real move reports its own.
func Prewarm() {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		// "hierarchy-ID:controllers:path"
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		var dir string
		switch {
		case DetectMode() == Unified && f[0] == "0":
			dir = cgroupRoot + f[2]
		case f[1] == "pids" || f[1] == "memory":
			dir = cgroupRoot + "/" + f[1] + f[2]
		default:
			continue
		}
		_ = writeFile(dir, "cgroup.procs", "0")
		return
	}
}
