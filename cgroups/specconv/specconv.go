// Package specconv converts the runtime-spec's linux.resources into
// cgroups.Resources, the only place where the cgroups code meets the spec.
package specconv

//lint:file-ignore SA1019 kernel memory limits are read only to warn that they are ignored

import (
	"maps"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/cgroups"
)

// FromSpec converts r (nil gives nil) and validates the result
// (cgroups.Resources.Validate: ranges and formats, not the host).
//
// As runc does, a zero memory limit, reservation or swap, a zero cpu
// shares, quota, period, realtimeRuntime or realtimePeriod, and a zero
// blkio weight or leafWeight mean "not set": configs written by tools
// often carry those zeros. A zero pids limit is kept: the spec says it is
// a real limit. Device rules with no type, major, minor or access mean
// all devices, any number, and "rwm".
func FromSpec(r *specs.LinuxResources) (*cgroups.Resources, error) {
	if r == nil {
		return nil, nil
	}
	out := &cgroups.Resources{
		Unified: maps.Clone(r.Unified),
	}
	if m := r.Memory; m != nil {
		out.Memory = &cgroups.Memory{
			Limit:             nonZero(m.Limit),
			Reservation:       nonZero(m.Reservation),
			Swap:              nonZero(m.Swap),
			Kernel:            m.Kernel,
			KernelTCP:         m.KernelTCP,
			Swappiness:        m.Swappiness,
			DisableOOMKiller:  m.DisableOOMKiller,
			UseHierarchy:      m.UseHierarchy,
			CheckBeforeUpdate: m.CheckBeforeUpdate,
		}
	}
	if c := r.CPU; c != nil {
		out.CPU = &cgroups.CPU{
			Shares:          nonZero(c.Shares),
			Quota:           nonZero(c.Quota),
			Burst:           c.Burst,
			Period:          nonZero(c.Period),
			RealtimeRuntime: nonZero(c.RealtimeRuntime),
			RealtimePeriod:  nonZero(c.RealtimePeriod),
			Cpus:            c.Cpus,
			Mems:            c.Mems,
			Idle:            c.Idle,
		}
	}
	if r.Pids != nil {
		out.Pids = &cgroups.Pids{Limit: r.Pids.Limit}
	}
	if b := r.BlockIO; b != nil {
		out.BlockIO = &cgroups.BlockIO{
			Weight:                  nonZero(b.Weight),
			LeafWeight:              nonZero(b.LeafWeight),
			ThrottleReadBpsDevice:   throttle(b.ThrottleReadBpsDevice),
			ThrottleWriteBpsDevice:  throttle(b.ThrottleWriteBpsDevice),
			ThrottleReadIOPSDevice:  throttle(b.ThrottleReadIOPSDevice),
			ThrottleWriteIOPSDevice: throttle(b.ThrottleWriteIOPSDevice),
		}
		for _, d := range b.WeightDevice {
			out.BlockIO.WeightDevice = append(out.BlockIO.WeightDevice, cgroups.WeightDevice{
				Major: d.Major, Minor: d.Minor, Weight: d.Weight, LeafWeight: d.LeafWeight,
			})
		}
	}
	for _, h := range r.HugepageLimits {
		out.HugepageLimits = append(out.HugepageLimits, cgroups.HugepageLimit{PageSize: h.Pagesize, Limit: h.Limit})
	}
	if n := r.Network; n != nil {
		out.Network = &cgroups.Network{ClassID: n.ClassID}
		for _, p := range n.Priorities {
			out.Network.Priorities = append(out.Network.Priorities, cgroups.InterfacePriority{Name: p.Name, Priority: p.Priority})
		}
	}
	if r.Rdma != nil {
		out.Rdma = make(map[string]cgroups.Rdma, len(r.Rdma))
		for dev, l := range r.Rdma {
			out.Rdma[dev] = cgroups.Rdma{HcaHandles: l.HcaHandles, HcaObjects: l.HcaObjects}
		}
	}
	for _, d := range r.Devices {
		rule := cgroups.DeviceRule{Allow: d.Allow, Type: d.Type, Major: -1, Minor: -1, Access: deviceAccess(d.Access)}
		if d.Major != nil {
			rule.Major = *d.Major
		}
		if d.Minor != nil {
			rule.Minor = *d.Minor
		}
		out.Devices = append(out.Devices, rule)
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

func throttle(in []specs.LinuxThrottleDevice) []cgroups.ThrottleDevice {
	var out []cgroups.ThrottleDevice
	for _, d := range in {
		out = append(out, cgroups.ThrottleDevice{Major: d.Major, Minor: d.Minor, Rate: d.Rate})
	}
	return out
}

// nonZero returns p, or nil when it points at zero.
func nonZero[T comparable](p *T) *T {
	var zero T
	if p == nil || *p == zero {
		return nil
	}
	v := *p
	return &v
}

// deviceAccess keeps the r, w and m of a device rule's access and drops
// anything else with a warning: runc ignores other letters ("rwa"), and
// configs written for it carry them.
func deviceAccess(a string) string {
	kept := strings.Map(func(c rune) rune {
		if c == 'r' || c == 'w' || c == 'm' {
			return c
		}
		return -1
	}, a)
	if kept != a && cgroups.Warnf != nil {
		cgroups.Warnf("linux.resources.devices: access %q: only r, w and m mean anything; using %q", a, kept)
	}
	return kept
}
