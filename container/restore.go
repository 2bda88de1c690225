package container

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/bundle"
	"xrt/cgroups"
)

// RestoreOpts are the inputs of `xrt restore`: a create whose processes
// come back from a checkpoint instead of from a new init.
type RestoreOpts struct {
	Root    string
	ID      string
	Bundle  *bundle.Bundle
	PidFile string
	// Restore brings the container's processes back into cg (the
	// container's cgroup, made and limited as create makes it; nil when
	// it has none) and returns the restored init's pid.
	Restore func(c *Container, cg cgroups.Manager) (pid int, err error)
}

// CreateRestored makes the state directory and the cgroup of a container
// whose processes o.Restore brings back, and records them. It is a normal
// container afterwards: state, exec, kill, pause and delete work on it.
// On failure it removes everything it made, processes included.
func CreateRestored(o *RestoreOpts) (_ *Container, err error) {
	c, err := begin(o.Root, o.ID, o.Bundle, false)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.destroy()
			c.Unlock()
		}
	}()
	spec := o.Bundle.Spec
	cg, limits, err := c.makeCgroup(spec, false) // restore places the container with the cgroupfs driver
	if err != nil {
		return nil, err
	}
	// CRIU puts the processes in every hierarchy: all of it, now.
	if limits.rest != nil {
		if err := limits.rest(); err != nil {
			return nil, err
		}
	}
	if err := setLimits(cg, limits.now); err != nil {
		return nil, err
	}
	pid, err := o.Restore(c, cg)
	if err == nil {
		err = setLimits(cg, limits.late)
	}
	if pid > 0 {
		c.Pid = pid
		c.PidStart, _, _ = procStat(pid)
	}
	if err != nil {
		return nil, fmt.Errorf("restore container %q: %w", o.ID, err)
	}
	if pid <= 0 {
		return nil, fmt.Errorf("restore container %q: CRIU did not report the restored init's pid", o.ID)
	}
	if err := c.writeJSON(configFile, spec); err != nil {
		return nil, err
	}
	if err := c.save(); err != nil {
		return nil, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, c.Pid); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// HookState is the runtime-spec state given to hooks, with init's pid.
func (c *Container) HookState(status string, pid int) specs.State {
	s := c.ociState(status)
	s.Pid = pid
	return s
}
