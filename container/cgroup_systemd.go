package container

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"xrt/cgroups"
	"xrt/containerinit"
	"xrt/logs"
)

// The systemd driver (--systemd-cgroup): the container's cgroup is a
// transient unit. The unit is started with init as its process once init
// exists (joinUnit), before init does anything, so it is not born in its
// cgroup as with cgroupfs; everything else works on the unit's cgroup
// directory, recorded in the state.

// Driver names, as in state.json and `features`.
const (
	driverSystemd     = "systemd"
	driverSystemdUser = "systemdUser"
)

// unitRecord is written before the unit is started, so that a create
// killed half-way (DeletePartial) knows there is a unit to stop.
const unitRecord = "cgroup-unit.json"

// makeUnit checks the systemd cgroupsPath and that systemd answers, and
// records the limits for the unit's start. Bad input fails here, before
// any unit or process exists.
func (c *Container) makeUnit(path string, annotations map[string]string, r *cgroups.Resources) (cgroups.Manager, error) {
	user := os.Geteuid() != 0
	u, err := cgroups.ParseSystemdPath(path, c.ID, user)
	if err != nil {
		return nil, err
	}
	cg, err := cgroups.NewSystemd(cgroups.SystemdConfig{
		Unit:        u,
		User:        user,
		Description: "xrt container " + c.ID,
		Annotations: annotations,
	})
	if err != nil {
		return nil, err
	}
	if err := cg.Apply(-1); err != nil {
		return nil, err
	}
	if err := cg.Set(r); err != nil {
		return nil, err
	}
	c.CgroupDriver, c.CgroupUnit = driverSystemd, u.Unit
	if user {
		c.CgroupDriver = driverSystemdUser
	}
	if err := c.writeJSON(unitRecord, unitRecordOf(&c.State)); err != nil {
		c.CgroupDriver, c.CgroupUnit = "", ""
		return nil, err
	}
	return cg, nil
}

type unitRec struct {
	Driver string `json:"driver"`
	Unit   string `json:"unit"`
}

func unitRecordOf(s *State) unitRec { return unitRec{s.CgroupDriver, s.CgroupUnit} }

// readUnitRecord sets the driver and unit from the record of a create cut
// short, if it made one.
func (c *Container) readUnitRecord() {
	b, err := os.ReadFile(filepath.Join(c.dir, unitRecord))
	if err != nil {
		return
	}
	var r unitRec
	if json.Unmarshal(b, &r) == nil && r.Unit != "" {
		c.CgroupDriver, c.CgroupUnit, c.Cgroup = r.Driver, r.Unit, ""
	}
}

// joinUnit returns the spawn hook that starts the container's unit with
// init in it, then tells init its cgroup; nil for other drivers.
func (c *Container) joinUnit(cg cgroups.Manager, cfg *containerinit.Config) func(int) error {
	if cg == nil || !cgroups.NeedsPid(cg) {
		return nil
	}
	return func(pid int) error {
		err := cg.Apply(pid)
		if errors.Is(err, cgroups.ErrUnitInUse) {
			// Another container's unit: never joined, and never stopped
			// by this create's cleanup (it stopped the other container).
			c.CgroupDriver, c.CgroupUnit, c.Cgroup = "", "", ""
			os.Remove(filepath.Join(c.dir, unitRecord))
			return err
		}
		// Known once the unit exists, even if a later step failed: what
		// destroy removes.
		c.Cgroup = cgroups.SystemdCgroupOf(cg)
		cfg.Cgroup = c.Cgroup
		return err
	}
}

// unit opens the manager of the container's systemd unit.
func (c *Container) unit() cgroups.Manager {
	cg, err := cgroups.OpenSystemd(c.CgroupUnit, c.CgroupDriver == driverSystemdUser, c.Cgroup)
	if err != nil {
		logs.Warnf("container %s: systemd unit %s: %v", c.ID, c.CgroupUnit, err)
		return nil
	}
	return cg
}
