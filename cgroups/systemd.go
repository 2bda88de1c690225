package cgroups

import (
	"context"
	"errors"
	"fmt"
	"time"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"golang.org/x/sys/unix"
)

// The systemd driver: the container's cgroup is a transient unit that
// systemd makes and owns (a scope, or a slice when the cgroupsPath names
// one), started over D-Bus with the container's init as its process,
// Delegate=yes, and the limits systemd has properties for
// (systemd_props.go). Everything else goes through the v2 manager on the
// unit's cgroup directory: the files systemd has no property for, the
// same values for those it has, freeze, stats, pids and kill.
//
// A scope cannot be started without a process in it, so this manager
// cannot make the cgroup before init exists, as the cgroupfs managers do:
// Apply(-1) only checks that systemd answers and Set before the unit
// exists records the limits; Apply(pid) starts the unit with pid and the
// recorded limits, waits for systemd's job, then writes the files. The
// caller calls Apply(pid) before init runs anything of the container's.
//
// It needs a cgroup v2 host (systemd's own layout on any current
// distribution) and systemd 244 or later (AllowedCPUs).

// dbusTimeout bounds each D-Bus exchange, a unit's start or stop job
// included (a slow guest under emulation takes seconds).
const dbusTimeout = 60 * time.Second

// SystemdConfig says how to make a container's unit.
type SystemdConfig struct {
	Unit SystemdUnit
	// User: the calling user's manager (rootless), not the system one.
	User        bool
	Description string
	// Annotations of the container: the org.systemd.property.* ones are
	// extra unit properties, applied last.
	Annotations map[string]string
}

type systemdManager struct {
	cfg   SystemdConfig
	extra []sddbus.Property
	conn  *sddbus.Conn
	// path is the unit's cgroup, "" until the unit exists; v2 manages it.
	path string
	v2   *v2Manager
	// res: limits Set before the unit exists, for Apply(pid).
	res *Resources
	// idleWeight: systemd takes CPUWeight idle (asked when it matters).
	idleWeight bool
}

// NewSystemd returns the manager of a container unit that Apply(pid) will
// start. It checks the unit's names and annotations, and connects to
// nothing yet.
func NewSystemd(cfg SystemdConfig) (Manager, error) {
	if !systemdBooted() {
		return nil, fmt.Errorf("the systemd cgroup driver needs systemd as the init system (/run/systemd/system is missing): drop --systemd-cgroup to use cgroupfs: %w", ErrNoSystemd)
	}
	if DetectMode() != Unified {
		return nil, fmt.Errorf("the systemd cgroup driver needs a cgroup v2 host (this one is %s): drop --systemd-cgroup to use cgroupfs", DetectMode())
	}
	if _, err := ExpandSlice(cfg.Unit.Slice); err != nil {
		return nil, err
	}
	extra, err := annotationProperties(cfg.Annotations)
	if err != nil {
		return nil, err
	}
	return &systemdManager{cfg: cfg, extra: extra}, nil
}

// OpenSystemd returns the manager of a container unit started before
// (by another xrt process), whose cgroup is path ("" when the unit never
// started).
func OpenSystemd(unit string, user bool, path string) (Manager, error) {
	m := &systemdManager{cfg: SystemdConfig{Unit: SystemdUnit{Unit: unit}, User: user}}
	if path != "" {
		if err := checkPath(path); err != nil {
			return nil, err
		}
		m.setPath(path)
	}
	return m, nil
}

// SystemdCgroupOf reports the cgroup path of a systemd manager's unit, as
// systemd names it and OpenSystemd takes it ("/system.slice/x.scope"; ""
// before the unit is started, and for the other managers).
func SystemdCgroupOf(m Manager) string {
	if s, ok := m.(*systemdManager); ok {
		return s.path
	}
	return ""
}

// NeedsPid reports whether m makes its cgroup only with a process in it
// (the systemd driver): the caller starts init outside any cgroup and
// calls Apply(pid) before init goes on.
func NeedsPid(m Manager) bool {
	_, ok := m.(*systemdManager)
	return ok
}

func (m *systemdManager) setPath(p string) {
	m.path = p
	m.v2 = newV2(unifiedMountpoint, p, true)
}

func (m *systemdManager) dial(ctx context.Context) (*sddbus.Conn, error) {
	if m.conn != nil && m.conn.Connected() {
		return m.conn, nil
	}
	c, err := dialSystemd(ctx, m.cfg.User)
	if err != nil {
		return nil, err
	}
	m.conn = c
	return c, nil
}

func (m *systemdManager) Apply(pid int) error {
	ctx, cancel := context.WithTimeout(context.Background(), dbusTimeout)
	defer cancel()
	conn, err := m.dial(ctx)
	if err != nil {
		return err
	}
	if pid == -1 {
		return nil
	}
	if !m.cfg.User {
		// A cgroup left where the unit's will be, frozen: systemd would
		// put init in it, and init would stop there and the create hang.
		// Refused before the unit exists, and left as it is (not ours).
		dir := unifiedMountpoint + systemdCgroupPath(m.cfg.Unit)
		if st, err := stateV2(dir); err == nil && st != Thawed {
			return fmt.Errorf("container's cgroup unexpectedly frozen: cgroup %s is %s (thaw it, or give this container its own linux.cgroupsPath)", dir, st)
		}
	}
	m.idleWeight = systemdVersion(conn) >= systemdIdleVersion
	props, err := m.unitProperties(pid)
	if err != nil {
		return err
	}
	unit := m.cfg.Unit.Unit
	if err := startUnit(ctx, conn, unit, props); err != nil {
		return err
	}
	typ := "Scope"
	if m.cfg.Unit.IsSlice() {
		typ = "Slice"
	}
	p, err := conn.GetUnitTypePropertyContext(ctx, unit, typ, "ControlGroup")
	if err != nil {
		return fmt.Errorf("systemd: read the cgroup of unit %s: %w", unit, err)
	}
	cg, _ := p.Value.Value().(string)
	if err := checkPath(cg); err != nil {
		return fmt.Errorf("systemd: unit %s has no cgroup of its own (%q): %w", unit, cg, err)
	}
	m.setPath(cg)
	// The controllers systemd does not manage (hugetlb, rdma, misc) are
	// enabled down to the unit; a slice gets its process here.
	if m.cfg.Unit.IsSlice() {
		err = m.v2.Apply(pid)
	} else {
		err = m.v2.Apply(-1)
	}
	if err != nil {
		return err
	}
	if m.res != nil {
		res := roundedQuota(m.res, "")
		m.res = nil
		if m.idleWeight && wantsIdle(res) {
			res = withoutWeight(res)
		}
		return m.v2.Set(res)
	}
	return nil
}

// unitProperties are the properties of the unit's start: how it is run,
// then the recorded limits, then the annotations.
func (m *systemdManager) unitProperties(pid int) ([]sddbus.Property, error) {
	u := m.cfg.Unit
	desc := m.cfg.Description
	if desc == "" {
		desc = "xrt container " + u.Unit
	}
	props := []sddbus.Property{
		sddbus.PropDescription(desc),
		prop("DefaultDependencies", false),
		prop("MemoryAccounting", true),
		prop("CPUAccounting", true),
		prop("IOAccounting", true),
		prop("TasksAccounting", true),
	}
	if u.IsSlice() {
		props = append(props, sddbus.PropWants(u.Slice))
	} else {
		props = append(props, sddbus.PropSlice(u.Slice), prop("Delegate", true), sddbus.PropPids(uint32(pid)))
	}
	limits, err := systemdProperties(m.res, "", m.idleWeight)
	if err != nil {
		return nil, err
	}
	return mergeProperties(append(props, limits...), m.extra), nil
}

// startUnit starts a transient unit and waits for its job. A unit of the
// same name that is loaded but failed or dead (a container of that name
// that was killed) is reset and the start tried once more.
func startUnit(ctx context.Context, conn *sddbus.Conn, unit string, props []sddbus.Property) error {
	for try := 0; ; try++ {
		ch := make(chan string, 1)
		_, err := conn.StartTransientUnitContext(ctx, unit, "replace", props, ch)
		if err == nil {
			return waitJob(ctx, ch, "start", unit)
		}
		if dbusName(err) == "org.freedesktop.systemd1.UnitExists" && try == 0 {
			st, serr := conn.GetUnitPropertyContext(ctx, unit, "ActiveState")
			if serr == nil {
				if s, _ := st.Value.Value().(string); s == "failed" || s == "inactive" {
					conn.ResetFailedUnitContext(ctx, unit)
					continue
				}
			}
			return unitInUseError{fmt.Errorf("container's cgroup is not empty: systemd unit %s already exists and is active: another container uses this cgroupsPath (give this one its own name, or stop it: systemctl stop %s): %w", unit, unit, err)}
		}
		return fmt.Errorf("systemd: start transient unit %s: %w", unit, err)
	}
}

func waitJob(ctx context.Context, ch <-chan string, what, unit string) error {
	select {
	case res := <-ch:
		if res != "done" {
			return fmt.Errorf("systemd: %s unit %s: job %s (see journalctl -u %s)", what, unit, res, unit)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("systemd: %s unit %s: no answer in %v: %w", what, unit, dbusTimeout, ctx.Err())
	}
}

func (m *systemdManager) Set(r *Resources) error {
	if r == nil {
		return nil
	}
	if err := r.check(); err != nil {
		return err
	}
	if r.Network != nil && (r.Network.ClassID != nil || len(r.Network.Priorities) > 0) {
		return errors.New("network classID and priorities (net_cls, net_prio) are cgroup v1 controllers; cgroup v2 has no equivalent")
	}
	if m.v2 == nil {
		// Checked now (bad input fails before init exists), applied by Apply.
		if _, err := systemdProperties(r, "", false); err != nil {
			return err
		}
		m.res = r
		return nil
	}
	// checkBeforeUpdate refuses before systemd sees the limit: once
	// MemoryMax is set, the kernel reclaims or OOM-kills at once.
	// The unit's cgroup directory (m.path is its path in the hierarchy).
	dir := m.v2.dir
	if mem := r.Memory; mem != nil {
		if err := checkUsage(dir, "memory.current", "memory.swap.current", mem); err != nil {
			return v2Hint(err, "memory")
		}
	}
	r = roundedQuota(withCurrentPeriod(withCurrentQuota(r, dir), dir), dir)
	ctx, cancel := context.WithTimeout(context.Background(), dbusTimeout)
	defer cancel()
	var conn *sddbus.Conn
	if wantsIdle(r) {
		// Whether systemd takes an idle CPUWeight decides the properties.
		var err error
		if conn, err = m.dial(ctx); err != nil {
			return err
		}
		m.idleWeight = systemdVersion(conn) >= systemdIdleVersion
	}
	props, err := systemdProperties(r, dir, m.idleWeight)
	if err != nil {
		return err
	}
	if len(props) > 0 {
		if conn == nil {
			if conn, err = m.dial(ctx); err != nil {
				return err
			}
		}
		if err := conn.SetUnitPropertiesContext(ctx, m.cfg.Unit.Unit, true, props...); err != nil {
			return fmt.Errorf("systemd: set the properties of unit %s: %w", m.cfg.Unit.Unit, err)
		}
	}
	if m.idleWeight && wantsIdle(r) {
		r = withoutWeight(r)
	}
	return m.v2.Set(r)
}

// Destroy kills what is left in the unit and stops it (systemd removes
// its cgroup; a unit already gone is fine), clears a failed state so that
// the name can be used again, and removes what is left of the cgroup.
// Without systemd there can be no unit: only the cgroup is removed.
func (m *systemdManager) Destroy() error {
	ctx, cancel := context.WithTimeout(context.Background(), dbusTimeout)
	defer cancel()
	unit := m.cfg.Unit.Unit
	conn, err := m.dial(ctx)
	if err != nil {
		if m.v2 != nil {
			return m.v2.Destroy()
		}
		return nil
	}
	// SIGKILL first: a stop sends SIGTERM, which a container's pid 1
	// ignores, and would wait TimeoutStopSec (90 s) for it.
	if err := conn.KillUnitWithTarget(ctx, unit, sddbus.All, int32(unix.SIGKILL)); err != nil && !noUnit(err) && dbusName(err) != "org.freedesktop.systemd1.NoSuchProcess" {
		return fmt.Errorf("systemd: kill the processes of unit %s: %w", unit, err)
	}
	ch := make(chan string, 1)
	_, err = conn.StopUnitContext(ctx, unit, "replace", ch)
	switch {
	case err == nil:
		if err := waitJob(ctx, ch, "stop", unit); err != nil {
			return err
		}
	case !noUnit(err):
		return fmt.Errorf("systemd: stop unit %s: %w", unit, err)
	}
	conn.ResetFailedUnitContext(ctx, unit)
	if m.v2 != nil {
		return m.v2.Destroy()
	}
	return nil
}

// noUnit reports the D-Bus errors for a unit that is not loaded.
func noUnit(err error) bool {
	n := dbusName(err)
	return n == "org.freedesktop.systemd1.NoSuchUnit" || n == "org.freedesktop.systemd1.UnitNotLoaded"
}

func (m *systemdManager) Path(string) string {
	if m.v2 == nil {
		return ""
	}
	return m.v2.dir
}

func (m *systemdManager) ThreadFiles() []string { return nil }

// Exists is true: a unit may be loaded (failed) without a cgroup, and
// only Destroy, over D-Bus, can tell and clear it.
func (m *systemdManager) Exists() bool { return true }

func (m *systemdManager) Freeze() error {
	if m.v2 == nil {
		return errors.New("systemd: the container's unit is not started")
	}
	return m.v2.Freeze()
}

func (m *systemdManager) Thaw() error {
	if m.v2 == nil {
		return nil
	}
	return m.v2.Thaw()
}

func (m *systemdManager) State() (string, error) {
	if m.v2 == nil {
		return Thawed, nil
	}
	return m.v2.State()
}

func (m *systemdManager) Pids() ([]int, error) {
	if m.v2 == nil {
		return nil, nil
	}
	return m.v2.Pids()
}

func (m *systemdManager) Stats() (*Stats, error) {
	if m.v2 == nil {
		return &Stats{}, nil
	}
	return m.v2.Stats()
}

func (m *systemdManager) OOMKillCount() (uint64, error) {
	if m.v2 == nil {
		return 0, nil
	}
	return m.v2.OOMKillCount()
}

func (m *systemdManager) Kill() error {
	if m.v2 == nil {
		return nil
	}
	return m.v2.Kill()
}
