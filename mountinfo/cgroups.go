package mountinfo

import "sync"

// CgroupMounts returns the cgroup and cgroup2 mounts of the process's
// mount namespace (/proc/self/mountinfo, its main thread's), read on first
// use and shared by every later caller, who must not change them. The
// cgroups package looks up each hierarchy there, and create's thread that
// builds a container's root, in a copy of that namespace, binds the same
// mounts: one read of mountinfo serves both.
func CgroupMounts() ([]*Info, error) { return cgroupMounts() }

var cgroupMounts = sync.OnceValues(func() ([]*Info, error) {
	return GetMounts(func(i *Info) (bool, bool) {
		return i.FSType != "cgroup" && i.FSType != "cgroup2", false
	})
})
