package cgroups

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// v1Manager manages a cgroup on a legacy or hybrid host: one directory per
// mounted v1 hierarchy, plus one in the cgroup2 tree on hybrid hosts.
type v1Manager struct {
	path string
	// dirs maps a controller to its directory; co-mounted controllers share.
	dirs map[string]string
	// hier pairs each managed hierarchy's mount point with its directory.
	hier []v1Hierarchy
	// unified is the cgroup2 part on hybrid hosts (nil on legacy hosts):
	// it tracks the processes and offers cgroup.kill; no controllers.
	unified *v2Manager
}

type v1Hierarchy struct {
	mountpoint, dir string
	cpuset          bool // the hierarchy holds cpuset: new dirs need cpus/mems
}

func newV1(m *mounts, unified, path string) *v1Manager {
	v := &v1Manager{path: path, dirs: make(map[string]string, len(m.subsys))}
	for c, mp := range m.subsys {
		v.dirs[c] = mp + path
	}
	for _, mp := range m.hierarchies {
		v.hier = append(v.hier, v1Hierarchy{mountpoint: mp, dir: mp + path, cpuset: m.subsys["cpuset"] == mp})
	}
	if unified != "" {
		v.unified = newV2(unified, path, false)
	}
	return v
}

func (v *v1Manager) Path(subsystem string) string {
	if subsystem == "" {
		if v.unified != nil {
			return v.unified.dir
		}
		return ""
	}
	return v.dirs[subsystem]
}

func (v *v1Manager) ThreadFiles() []string {
	files := make([]string, 0, len(v.hier))
	for _, h := range v.hier {
		files = append(files, h.dir+"/tasks")
	}
	return files
}

func (v *v1Manager) Apply(pid int) error {
	if err := v.applyHierarchies(pid); err != nil {
		return err
	}
	if v.unified != nil {
		return v.unified.Apply(pid)
	}
	return nil
}

// applyHierarchies creates the cgroup in each v1 hierarchy (and puts pid
// in it, unless -1).
func (v *v1Manager) applyHierarchies(pid int) error {
	for _, h := range v.hier {
		var created func(string) error
		if h.cpuset {
			mp := h.mountpoint
			created = func(dir string) error { return cpusetInherit(mp, dir) }
		}
		if err := mkdirCgroup(h.mountpoint, h.dir, created); err != nil {
			return fmt.Errorf("cgroups: create %s: %w", h.dir, err)
		}
		if pid != -1 {
			if err := joinPid(h.dir, pid); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *v1Manager) Set(r *Resources) error {
	if r == nil {
		return nil
	}
	if err := r.check(); err != nil {
		return err
	}
	if len(r.Unified) > 0 && v.unified == nil {
		return errors.New("invalid configuration: unified (cgroup v2) resources need a cgroup v2 or hybrid host; this host has cgroup v1 only")
	}
	if r.CPU != nil {
		if err := setCpusetV1(v.dirs["cpuset"], r.CPU); err != nil {
			return err
		}
		if err := setCPUV1(v.dirs["cpu"], r.CPU); err != nil {
			return err
		}
	}
	if r.Memory != nil {
		if err := setMemoryV1(v.dirs["memory"], r.Memory); err != nil {
			return err
		}
	}
	if r.Pids != nil {
		if err := setPids(v.dirs["pids"], r.Pids); err != nil {
			return err
		}
	}
	if r.BlockIO != nil {
		if err := setBlkioV1(v.dirs["blkio"], r.BlockIO); err != nil {
			return err
		}
	}
	if len(r.HugepageLimits) > 0 {
		if err := setHugetlbV1(v.dirs["hugetlb"], r.HugepageLimits); err != nil {
			return err
		}
	}
	if r.Network != nil {
		if err := setNetworkV1(v.dirs["net_cls"], v.dirs["net_prio"], r.Network); err != nil {
			return err
		}
	}
	if len(r.Rdma) > 0 {
		if err := setRdma(v.dirs["rdma"], r.Rdma); err != nil {
			return err
		}
	}
	if len(r.Devices) > 0 {
		if err := setDevicesV1(v.dirs["devices"], r.Devices); err != nil {
			return err
		}
	}
	if len(r.Unified) > 0 {
		// On a hybrid host the cgroup2 tree has no controllers: only its
		// own cgroup.* files can be set there.
		if err := setUnified(v.unified.dir, r.Unified); err != nil {
			return fmt.Errorf("invalid configuration for a hybrid cgroup host: %w", err)
		}
	}
	return nil
}

func (v *v1Manager) Freeze() error {
	if dir := v.dirs["freezer"]; dir != "" {
		return freezeV1(dir)
	}
	if v.unified != nil {
		return v.unified.Freeze()
	}
	return notMounted("freeze", "freezer")
}

func (v *v1Manager) Thaw() error {
	if dir := v.dirs["freezer"]; dir != "" {
		return thawV1(dir)
	}
	if v.unified != nil {
		return v.unified.Thaw()
	}
	return notMounted("thaw", "freezer")
}

func (v *v1Manager) State() (string, error) {
	if dir := v.dirs["freezer"]; dir != "" {
		return stateV1(dir)
	}
	if v.unified != nil {
		return v.unified.State()
	}
	return Thawed, nil
}

// procsDir is the directory whose cgroup.procs lists the processes: one
// hierarchy that every container process is in.
func (v *v1Manager) procsDir() string {
	for _, c := range []string{"pids", "freezer", "memory", "devices", "cpu", "cpuacct", "cpuset", "blkio"} {
		if d := v.dirs[c]; d != "" {
			return d
		}
	}
	if len(v.hier) > 0 {
		return v.hier[0].dir
	}
	return v.unified.dir
}

func (v *v1Manager) Pids() ([]int, error) {
	pids, err := readProcs(v.procsDir(), nil)
	if err != nil && notExist(err) {
		return nil, nil
	}
	return pids, err
}

func (v *v1Manager) Kill() error {
	if v.unified != nil && exists(v.unified.dir+"/cgroup.kill") {
		return v.unified.Kill()
	}
	return killByPids(v)
}

func (v *v1Manager) Destroy() error {
	deadline := time.Now().Add(destroyTimeout)
	var errs []error
	for _, h := range v.hier {
		errs = append(errs, removeCgroup(h.dir, deadline))
	}
	if v.unified != nil {
		errs = append(errs, removeCgroup(v.unified.dir, deadline))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cgroups: destroy %s: %w", v.path, err)
	}
	return nil
}

func (v *v1Manager) Exists() bool {
	for _, h := range v.hier {
		if exists(h.dir) {
			return true
		}
	}
	return v.unified != nil && v.unified.Exists()
}

func (v *v1Manager) OOMKillCount() (uint64, error) {
	dir := v.dirs["memory"]
	if dir == "" {
		return 0, notMounted("OOM kill count", "memory")
	}
	s, err := readFile(dir, "memory.oom_control")
	if err != nil {
		return 0, err
	}
	return parseKV(s)["oom_kill"], nil
}

func (v *v1Manager) Stats() (*Stats, error) {
	st := &Stats{}
	var errs []error
	if d := v.dirs["cpuacct"]; d != "" {
		errs = append(errs, statCPUAcctV1(d, &st.CPU))
	}
	if d := v.dirs["cpu"]; d != "" {
		errs = append(errs, statCPUV1(d, &st.CPU))
	}
	if d := v.dirs["memory"]; d != "" {
		errs = append(errs, statMemoryV1(d, &st.Memory))
	}
	if d := v.dirs["pids"]; d != "" {
		errs = append(errs, statPids(d, &st.Pids))
	}
	if d := v.dirs["blkio"]; d != "" {
		errs = append(errs, statBlkioV1(d, &st.Blkio))
	}
	if d := v.dirs["hugetlb"]; d != "" {
		st.Hugetlb, _ = statHugetlbV1(d)
	}
	return st, errors.Join(errs...)
}

// pidLister is what killByPids needs of a manager.
type pidLister interface {
	Freeze() error
	Thaw() error
	Pids() ([]int, error)
}

// killByPids freezes the cgroup (so nothing forks behind the scan), sends
// SIGKILL to each process, and thaws (a frozen task dies once thawed).
// Without a freezer it rescans until a pass finds nothing new to kill.
func killByPids(m pidLister) error {
	frozen := m.Freeze() == nil
	self := os.Getpid()
	var errs []error
	for range 10 {
		pids, err := m.Pids()
		if err != nil {
			errs = append(errs, err)
			break
		}
		sent := 0
		for _, pid := range pids {
			if pid == self {
				continue
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
				errs = append(errs, fmt.Errorf("kill %d: %w", pid, err))
				continue
			}
			sent++
		}
		if frozen || sent == 0 {
			break
		}
	}
	if frozen {
		errs = append(errs, m.Thaw())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cgroups: kill: %w", err)
	}
	return nil
}
