package container

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"reflect"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/bundle"
	"xrt/cgroups"
	"xrt/cgroups/specconv"
	"xrt/logs"
)

// cgroupLimits are the limits of a cgroup makeCgroup made: now, to set
// before init joins the cgroup (create sets them while init starts), and
// late, once init is ready (see holdBackPids). rest, when not nil, makes
// the v1 part of the cgroup (cgroups.ApplyFirst), before now is set.
type cgroupLimits struct {
	now, late *cgroups.Resources
	rest      func() error
}

// makeCgroup creates the container's cgroup, and returns the limits it
// is to have. The path is recorded first, so that a failure half-way is
// cleaned up by destroy. The systemd driver's unit is made with its
// limits.
func (c *Container) makeCgroup(spec *specs.Spec, systemd bool) (cgroups.Manager, cgroupLimits, error) {
	var none cgroupLimits
	var path string
	var res *specs.LinuxResources
	if spec.Linux != nil {
		path, res = spec.Linux.CgroupsPath, spec.Linux.Resources
	}
	r, err := specconv.FromSpec(res)
	if err != nil {
		return nil, none, fmt.Errorf("linux.resources: %w", err)
	}
	r = allowDevices(r)
	if systemd {
		cg, err := c.makeUnit(path, spec.Annotations, r)
		return cg, none, err
	}
	if c.Cgroup, err = cgroups.PathFor(path, c.ID); err != nil {
		return nil, none, err
	}
	cg := c.cgroup()
	if cg == nil {
		return nil, none, fmt.Errorf("cgroups: this host mounts no cgroup hierarchy under /sys/fs/cgroup")
	}
	// Another container's (same id under another root, or a shared
	// cgroupsPath): never joined, and never removed by our cleanup.
	if pids, err := cg.Pids(); err == nil && anyLive(pids) {
		path := c.Cgroup
		c.Cgroup = ""
		return nil, none, fmt.Errorf("container's cgroup is not empty: cgroup %s is in use by %d process(es) of another container: give this one its own linux.cgroupsPath", path, len(pids))
	}
	// A frozen cgroup would stop init half-way and the create would hang
	// on it: refused, and left as it is (it is not ours).
	if st, err := cg.State(); err == nil && st != cgroups.Thawed {
		path := c.Cgroup
		c.Cgroup = ""
		return nil, none, fmt.Errorf("container's cgroup unexpectedly frozen: cgroup %s is %s (thaw it, or give this container its own linux.cgroupsPath)", path, st)
	}
	var rest func() error
	if os.Geteuid() == 0 && !bundle.HasNamespace(spec, specs.UserNamespace) {
		rest, err = cgroups.ApplyFirst(cg)
	} else {
		// Init opens the v1 tasks files itself when they are made late
		// (spawn's cgroupJoin), which a user namespace's root may not;
		// rootless, a failure half-way may still mean "no cgroup" (below).
		err = cg.Apply(-1)
	}
	if err != nil {
		// Rootless, on a host that has not delegated a cgroup to this
		// user: run without one, unless limits were asked for.
		if os.Geteuid() != 0 && errors.Is(err, fs.ErrPermission) && !hasLimits(res) {
			logs.Debugf("container %s: no cgroup (rootless, %v)", c.ID, err)
			cg.Destroy()
			c.Cgroup = ""
			return nil, none, nil
		}
		if os.Geteuid() != 0 && errors.Is(err, fs.ErrPermission) {
			return nil, none, fmt.Errorf("linux.resources needs a cgroup, and this user may not create %s (delegate a cgroup to it, or remove the limits): %w", c.Cgroup, err)
		}
		return nil, none, err
	}
	l := cgroupLimits{now: r, rest: rest}
	if cgroups.DetectMode() == cgroups.Unified {
		l.now, l.late = holdBackPids(r)
	}
	return cg, l, nil
}

// cgroupRest is the v1 part of a cgroup (cgroupLimits.rest) being made,
// with the limits set on it, while init starts: only init's join waits
// for it (see spawnOpts.cgroupRest).
type cgroupRest struct {
	done chan struct{}
	err  error
}

// startCgroupRest starts l.rest, then sets l.now; nil when there is no
// rest (the limits are then set while init starts, as without one).
func startCgroupRest(cg cgroups.Manager, l cgroupLimits) *cgroupRest {
	if l.rest == nil {
		return nil
	}
	r := &cgroupRest{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if r.err = l.rest(); r.err == nil {
			r.err = setLimits(cg, l.now)
		}
	}()
	return r
}

// wait returns once the rest is made and limited, and says how it went;
// nil for none.
func (r *cgroupRest) wait() error {
	if r == nil {
		return nil
	}
	<-r.done
	return r.err
}

// setLimits sets r on cg; nothing when either is nil.
func setLimits(cg cgroups.Manager, r *cgroups.Resources) error {
	if cg == nil || r == nil {
		return nil
	}
	return cg.Set(r)
}

// holdBackPids splits the pids limit (pids.max, also as a unified key) off
// r. On cgroup v2 init is born in the container's cgroup as a whole
// process, and every thread of its Go runtime counts against pids.max: a
// limit of a few pids would kill it (pthread_create fails, the runtime
// aborts). Set once init is ready, before anything of the container's
// runs, the limit holds from the container's first fork; the runtime's
// threads, counted then, are gone at exec.
func holdBackPids(r *cgroups.Resources) (now, late *cgroups.Resources) {
	if r == nil {
		return nil, nil
	}
	cp := *r
	late = &cgroups.Resources{Pids: cp.Pids}
	cp.Pids = nil
	if v, ok := cp.Unified["pids.max"]; ok {
		late.Unified = map[string]string{"pids.max": v}
		cp.Unified = maps.Clone(cp.Unified)
		delete(cp.Unified, "pids.max")
	}
	if late.Pids == nil && late.Unified == nil {
		return r, nil
	}
	return &cp, late
}

// hasLimits reports whether the spec asks for any resource limit (device
// rules aside: without a cgroup the host's device permissions apply).
func hasLimits(r *specs.LinuxResources) bool {
	if r == nil {
		return false
	}
	l := *r
	l.Devices = nil
	return !reflect.DeepEqual(l, specs.LinuxResources{})
}

// defaultDevices are the device rules every container gets after its own:
// mknod of anything (a node is useless without read or write), and the
// default devices of the runtime-spec, which xrt creates in every /dev.
var defaultDevices = []cgroups.DeviceRule{
	{Allow: true, Type: "c", Major: -1, Minor: -1, Access: "m"},
	{Allow: true, Type: "b", Major: -1, Minor: -1, Access: "m"},
	{Allow: true, Type: "c", Major: 1, Minor: 3, Access: "rwm"},    // null
	{Allow: true, Type: "c", Major: 1, Minor: 5, Access: "rwm"},    // zero
	{Allow: true, Type: "c", Major: 1, Minor: 7, Access: "rwm"},    // full
	{Allow: true, Type: "c", Major: 1, Minor: 8, Access: "rwm"},    // random
	{Allow: true, Type: "c", Major: 1, Minor: 9, Access: "rwm"},    // urandom
	{Allow: true, Type: "c", Major: 5, Minor: 0, Access: "rwm"},    // tty
	{Allow: true, Type: "c", Major: 5, Minor: 2, Access: "rwm"},    // ptmx
	{Allow: true, Type: "c", Major: 136, Minor: -1, Access: "rwm"}, // pts
}

// allowDevices appends the default device rules. Nodes of linux.devices
// get no rule of their own: the config's resources.devices decides, as
// with runc.
func allowDevices(r *cgroups.Resources) *cgroups.Resources {
	if r == nil {
		r = &cgroups.Resources{}
	}
	r.Devices = append(r.Devices, defaultDevices...)
	return r
}

// cgroup opens the container's cgroup manager; nil when it has none.
func (c *Container) cgroup() cgroups.Manager {
	if c.CgroupDriver != "" {
		return c.unit()
	}
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

// anyLive reports whether a pid is a process that has not exited yet: a
// container's init that was just reaped can still be listed for a moment.
func anyLive(pids []int) bool {
	for _, pid := range pids {
		if _, state, err := procStat(pid); err == nil && state != 'Z' && state != 'X' {
			return true
		}
	}
	return false
}

// removeCgroup kills what is left in the cgroup (processes of a container
// without its own PID namespace outlive init) and removes it.
func (c *Container) removeCgroup() error {
	cg := c.cgroup()
	if cg == nil || !cg.Exists() {
		return nil
	}
	if pids, err := cg.Pids(); err == nil && anyLive(pids) {
		if err := cg.Kill(); err != nil {
			return fmt.Errorf("kill the processes left in cgroup %s: %w", c.Cgroup, err)
		}
	}
	if err := cg.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup %s: %w", c.Cgroup, err)
	}
	return nil
}
