package container

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/cgroups"
	"xrt/cgroups/specconv"
	"xrt/logs"
)

// makeCgroup creates the container's cgroup with its limits set, before
// any process is in it. The path is recorded first, so that a failure
// half-way is cleaned up by destroy.
func (c *Container) makeCgroup(spec *specs.Spec) (cgroups.Manager, error) {
	var path string
	var res *specs.LinuxResources
	if spec.Linux != nil {
		path, res = spec.Linux.CgroupsPath, spec.Linux.Resources
	}
	r, err := specconv.FromSpec(res)
	if err != nil {
		return nil, fmt.Errorf("linux.resources: %w", err)
	}
	if c.Cgroup, err = cgroups.PathFor(path, c.ID); err != nil {
		return nil, err
	}
	cg := c.cgroup()
	if cg == nil {
		return nil, fmt.Errorf("cgroups: this host mounts no cgroup hierarchy under /sys/fs/cgroup")
	}
	if err := cg.Apply(-1); err != nil {
		return nil, err
	}
	if err := cg.Set(r); err != nil {
		return nil, err
	}
	return cg, nil
}

// cgroup opens the container's cgroup manager; nil when it has none.
func (c *Container) cgroup() cgroups.Manager {
	if c.Cgroup == "" {
		return nil
	}
	cg, err := cgroups.New(c.Cgroup, cgroups.DetectMode())
	if err != nil {
		logs.Warnf("container %s: cgroup %s: %v", c.ID, c.Cgroup, err)
		return nil
	}
	return cg
}

// removeCgroup kills what is left in the cgroup (processes of a container
// without its own PID namespace outlive init) and removes it.
func (c *Container) removeCgroup() error {
	cg := c.cgroup()
	if cg == nil || !cg.Exists() {
		return nil
	}
	if pids, err := cg.Pids(); err == nil && len(pids) > 0 {
		if err := cg.Kill(); err != nil {
			return fmt.Errorf("kill the processes left in cgroup %s: %w", c.Cgroup, err)
		}
	}
	if err := cg.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup %s: %w", c.Cgroup, err)
	}
	return nil
}
