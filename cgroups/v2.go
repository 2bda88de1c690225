package cgroups

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// v2Manager manages one cgroup2 directory.
type v2Manager struct {
	mountpoint, dir string
	// controllers: Apply enables, in every ancestor's
	// cgroup.subtree_control, the controllers the ancestor offers. False
	// for the process-tracking cgroup2 tree of hybrid hosts, whose root
	// belongs to the host.
	controllers bool
}

func newV2(mountpoint, path string, controllers bool) *v2Manager {
	return &v2Manager{mountpoint: mountpoint, dir: mountpoint + path, controllers: controllers}
}

func (v *v2Manager) Path(string) string { return v.dir }

func (v *v2Manager) ThreadFiles() []string { return nil }

func (v *v2Manager) Apply(pid int) error {
	if v.controllers {
		if err := v.enableControllers(); err != nil {
			return err
		}
	}
	if err := mkdirCgroup(v.mountpoint, v.dir, nil); err != nil {
		return fmt.Errorf("cgroups: create %s: %w", v.dir, err)
	}
	if pid != -1 {
		return joinPid(v.dir, pid)
	}
	return nil
}

// enableControllers walks from the mount point down to the parent of the
// cgroup, creating missing directories, and enables in each one's
// cgroup.subtree_control the controllers of its cgroup.controllers that
// are not enabled yet. A level that already has them costs two reads.
func (v *v2Manager) enableControllers() error {
	rel := v.dir[len(v.mountpoint):] // "/a/b/c"
	parent := v.mountpoint
	for {
		if err := enableSubtree(parent); err != nil {
			return err
		}
		next := strings.IndexByte(rel[1:], '/')
		if next < 0 {
			return nil
		}
		parent += rel[:next+1]
		rel = rel[next+1:]
		if err := mkdirCgroup(v.mountpoint, parent, nil); err != nil {
			return fmt.Errorf("cgroups: create %s: %w", parent, err)
		}
	}
}

func enableSubtree(dir string) error {
	avail, err := readTrim(dir, "cgroup.controllers")
	if err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	enabled, err := readTrim(dir, "cgroup.subtree_control")
	if err != nil {
		return fmt.Errorf("cgroups: %w", err)
	}
	have := strings.Fields(enabled)
	var add []string
	for c := range strings.FieldsSeq(avail) {
		if !contains(have, c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if writeFile(dir, "cgroup.subtree_control", strings.Join(add, " ")) == nil {
		return nil
	}
	// One at a time, so that one controller that cannot be enabled here
	// (a threaded subtree, a busy parent) does not block the others; the
	// settings that need it fail later with a clear error.
	var errs []error
	for _, c := range add {
		if err := writeFile(dir, "cgroup.subtree_control", c); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == len(add) {
		return fmt.Errorf("cgroups: enable controllers: %w", errors.Join(errs...))
	}
	return nil
}

func (v *v2Manager) Set(r *Resources) error {
	if r == nil {
		return nil
	}
	if err := r.check(); err != nil {
		return err
	}
	if r.Network != nil && (r.Network.ClassID != nil || len(r.Network.Priorities) > 0) {
		return errors.New("network classID and priorities (net_cls, net_prio) are cgroup v1 controllers; cgroup v2 has no equivalent")
	}
	if r.CPU != nil {
		if err := setCpusetV2(v.dir, r.CPU); err != nil {
			return err
		}
		if err := setCPUV2(v.dir, r.CPU); err != nil {
			return err
		}
	}
	if r.Memory != nil {
		if err := setMemoryV2(v.dir, r.Memory); err != nil {
			return err
		}
	}
	if r.Pids != nil {
		if err := setPids(v.dir, r.Pids); err != nil {
			return v2Hint(err, "pids")
		}
	}
	if r.BlockIO != nil {
		if err := setIOV2(v.dir, r.BlockIO); err != nil {
			return err
		}
	}
	if len(r.HugepageLimits) > 0 {
		if err := setHugetlbV2(v.dir, r.HugepageLimits); err != nil {
			return err
		}
	}
	if len(r.Rdma) > 0 {
		if err := setRdma(v.dir, r.Rdma); err != nil {
			return v2Hint(err, "rdma")
		}
	}
	if len(r.Devices) > 0 {
		if err := setDevicesV2(v.dir, r.Devices); err != nil {
			return err
		}
	}
	if len(r.Unified) > 0 {
		if err := setUnified(v.dir, r.Unified); err != nil {
			return err
		}
	}
	return nil
}

// v2Hint explains a missing controller file: the controller is not
// enabled for this cgroup.
func v2Hint(err error, controller string) error {
	if err != nil && notExist(err) {
		return fmt.Errorf("%w (is the %s controller enabled in the parent's cgroup.subtree_control?): %w", err, controller, ErrNotMounted)
	}
	return err
}

func (v *v2Manager) Freeze() error          { return freezeV2(v.dir) }
func (v *v2Manager) Thaw() error            { return thawV2(v.dir) }
func (v *v2Manager) State() (string, error) { return stateV2(v.dir) }

func (v *v2Manager) Pids() ([]int, error) {
	pids, err := readProcs(v.dir, nil)
	if err != nil && notExist(err) {
		return nil, nil
	}
	return pids, err
}

func (v *v2Manager) Kill() error {
	err := writeFile(v.dir, "cgroup.kill", "1")
	switch {
	case err == nil:
		return nil
	case !exists(v.dir):
		return nil // no cgroup, nothing to kill
	case notExist(err):
		return killByPids(v) // kernel < 5.14: no cgroup.kill
	}
	return fmt.Errorf("cgroups: kill: %w", err)
}

func (v *v2Manager) Destroy() error {
	if err := removeCgroup(v.dir, time.Now().Add(destroyTimeout)); err != nil {
		return fmt.Errorf("cgroups: destroy %s: %w", v.dir, err)
	}
	return nil
}

func (v *v2Manager) Exists() bool { return exists(v.dir) }

func (v *v2Manager) OOMKillCount() (uint64, error) {
	s, err := readFile(v.dir, "memory.events")
	if err != nil {
		return 0, v2Hint(err, "memory")
	}
	return parseKV(s)["oom_kill"], nil
}

func (v *v2Manager) Stats() (*Stats, error) {
	st := &Stats{}
	errs := []error{
		statCPUV2(v.dir, &st.CPU),
		statMemoryV2(v.dir, &st.Memory),
		statPids(v.dir, &st.Pids),
		statIOV2(v.dir, &st.Blkio),
	}
	st.Hugetlb, _ = statHugetlbV2(v.dir)
	return st, errors.Join(errs...)
}
