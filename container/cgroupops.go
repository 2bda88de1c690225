package container

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/kernel"

	"xrt/cgroups"
	"xrt/cgroups/specconv"
)

// mustCgroup is the container's cgroup manager, or an error saying why
// there is none.
func (c *Container) mustCgroup() (cgroups.Manager, error) {
	if cg := c.cgroup(); cg != nil {
		return cg, nil
	}
	return nil, fmt.Errorf("container %q has no cgroup", c.ID)
}

// Pause freezes every process of a running container.
func (c *Container) Pause() error {
	if st := c.Status(); st != Running {
		return fmt.Errorf("cannot pause container %q: it is %s, not running", c.ID, st)
	}
	cg, err := c.mustCgroup()
	if err != nil {
		return err
	}
	return cg.Freeze()
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	if st := c.Status(); st != Paused {
		return fmt.Errorf("cannot resume container %q: it is %s, not paused", c.ID, st)
	}
	cg, err := c.mustCgroup()
	if err != nil {
		return err
	}
	return cg.Thaw()
}

// Processes lists the host pids of every process in the container.
func (c *Container) Processes() ([]int, error) {
	cg, err := c.mustCgroup()
	if err != nil {
		return nil, err
	}
	return cg.Pids()
}

// Stats reads the container's cgroup counters.
func (c *Container) Stats() (*cgroups.Stats, error) {
	cg, err := c.mustCgroup()
	if err != nil {
		return nil, err
	}
	return cg.Stats()
}

// OOMKills counts the processes the OOM killer killed in the container.
func (c *Container) OOMKills() (uint64, error) {
	cg, err := c.mustCgroup()
	if err != nil {
		return 0, err
	}
	return cg.OOMKillCount()
}

// Update applies new limits to a live container: only the fields set in r
// change. The saved config is updated too, so later commands see them.
func (c *Container) Update(r *specs.LinuxResources) error {
	if st := c.Status(); st == Stopped {
		return fmt.Errorf("cannot update container %q: it is stopped", c.ID)
	}
	res, err := specconv.FromSpec(r)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	cg, err := c.mustCgroup()
	if err != nil {
		return err
	}
	if err := cg.Set(res); err != nil {
		return err
	}
	spec, err := c.Spec()
	if err != nil {
		return err
	}
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	spec.Linux.Resources = mergeResources(spec.Linux.Resources, r)
	return c.writeJSON(configFile, spec)
}

// KillAll sends sig to every process of the container, init last. A
// container already stopped is no error (runc 1.5's `kill --all`).
func (c *Container) KillAll(sig unix.Signal) error {
	if st := c.Status(); st == Stopped {
		return nil
	}
	// Held from before the others are signalled: an init that waits for
	// them (a shell's "wait") may exit on its own before its turn.
	fd, err := c.pidfd()
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	pids, err := c.Processes()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if pid != c.Pid {
			unix.Kill(pid, sig)
		}
	}
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("kill container %q with %s: %w", c.ID, unix.SignalName(sig), kernel.PidfdSendSignal.Check(err))
	}
	return nil
}

// mergeResources overlays the sections set in upd on old.
func mergeResources(old, upd *specs.LinuxResources) *specs.LinuxResources {
	if old == nil || upd == nil {
		if old == nil {
			return upd
		}
		return old
	}
	out := *old
	if upd.Memory != nil {
		out.Memory = upd.Memory
	}
	if upd.CPU != nil {
		out.CPU = upd.CPU
	}
	if upd.Pids != nil {
		out.Pids = upd.Pids
	}
	if upd.BlockIO != nil {
		out.BlockIO = upd.BlockIO
	}
	if upd.HugepageLimits != nil {
		out.HugepageLimits = upd.HugepageLimits
	}
	if upd.Network != nil {
		out.Network = upd.Network
	}
	if upd.Rdma != nil {
		out.Rdma = upd.Rdma
	}
	if upd.Unified != nil {
		out.Unified = upd.Unified
	}
	if upd.Devices != nil {
		out.Devices = upd.Devices
	}
	return &out
}
