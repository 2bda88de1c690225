package container

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"xrt/cgroups"
)

// The C fast path of `xrt delete` (faststart/) deletes a plain container
// before the Go runtime starts. It decides nothing itself: create writes
// the fastdel record only for a container whose deletion is exactly what
// that path does (see fastdelRecord), listing what it touches, and the C
// side executes the list, in the order destroy does it, or leaves the
// whole command to the Go side. faststart/defaults.h shares these names
// and limits (TestFastdelRecordReadByC holds them together).
const (
	FastdelFile     = "fastdel"
	FastdelMagic    = "xrt-fastdel 1"
	FastdelMaxDirs  = 32   // cgroup lines the C reader takes
	FastdelMaxBytes = 8192 // the record's size the C reader takes
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
			if !filepath.IsAbs(path) || strings.ContainsAny(path, "\n\x00") {
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

// writeFastdel writes the fastdel record when the container is plain, as
// state.json is written: a temp file renamed, so that the C side reads a
// whole record or none.
func (c *Container) writeFastdel(cg cgroups.Manager, notify bool) error {
	rec := c.fastdelRecord(cg, notify)
	if rec == nil {
		return nil
	}
	tmp := filepath.Join(c.dir, "."+FastdelFile)
	if err := os.WriteFile(tmp, rec, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", FastdelFile, err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, FastdelFile)); err != nil {
		return fmt.Errorf("write %s: %w", FastdelFile, err)
	}
	return nil
}
