package container

import (
	"fmt"
	"path/filepath"
	"strings"

	"xrt/cgroups"
)

// The C fast path of `xrt delete` (faststart/) deletes a plain container
// before the Go runtime starts. It decides nothing itself: create puts the
// fastdel record in state.json (State.Fastdel, its lines) only for a
// container whose deletion is exactly what that path does (see
// fastdelRecord), listing what it touches, and the C side executes the
// list, in the order destroy does it, or leaves the whole command to the
// Go side. faststart/defaults.h shares these names and limits
// (TestFastdelRecordReadByC holds them together).
const (
	FastdelKey      = "fastdel" // State.Fastdel's JSON name
	FastdelMagic    = "xrt-fastdel 1"
	FastdelMaxDirs  = 32    // cgroup lines the C reader takes
	FastdelMaxBytes = 8192  // the record's size the C reader takes
	FastdelMaxState = 65536 // the size of state.json the C reader reads
	// FastdelFile held the record before it moved into state.json: an
	// older xrt's container may have one, which delete removes.
	FastdelFile = "fastdel"
)

// fastdelRecord is the record of a container that create just made, or
// nil when its deletion needs more than the fast path does: the systemd
// driver (a unit, through D-Bus), poststop hooks, host mounts (no mount
// namespace), a root made by a provider (image mode), the notify socket
// directory, or a cgroup the fast path cannot spell out.
func (c *Container) fastdelRecord(cg cgroups.Manager, notify bool) []byte {
	if c.CgroupDriver != "" || len(c.Poststop) > 0 || c.HostMounts || c.rootMade() || notify || c.Pid <= 0 || c.PidStart == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\npid %d\nstart %d\n", FastdelMagic, c.Pid, c.PidStart)
	if cg != nil {
		t, ok := cgroups.TeardownOf(cg)
		if !ok || len(t.Dirs) > FastdelMaxDirs {
			return nil
		}
		line := func(key, path string) bool {
			if path == "" {
				return true
			}
			if !filepath.IsAbs(path) || !plainJSON(path) {
				return false
			}
			b.WriteString(key + " " + path + "\n")
			return true
		}
		ok = line("procs", t.Procs) && line("kill", t.Kill) && line("freezer", t.Freezer)
		for _, d := range t.Dirs {
			ok = ok && line("cgroup", d)
		}
		if !ok || t.Procs == "" {
			return nil
		}
	}
	if b.Len() > FastdelMaxBytes {
		return nil
	}
	return []byte(b.String())
}

// fastdelLines is the fastdel record of the container as State.Fastdel
// holds it, one line a string; nil when it gets none.
func (c *Container) fastdelLines(cg cgroups.Manager, notify bool) []string {
	rec := c.fastdelRecord(cg, notify)
	if rec == nil {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(rec), "\n"), "\n")
}

// plainJSON reports whether s is written as it is in a JSON string: the C
// reader takes no escapes (a path that needs one gets no record).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || strings.IndexByte(`"\<>&`, c) >= 0 {
			return false
		}
	}
	return true
}
