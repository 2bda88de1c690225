package cgroups

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Unit properties from Resources.
//
// What systemd has a property for is set as that property, so that
// `systemctl show` tells the truth and systemd, when it re-applies a
// unit's settings (daemon-reload, another property change), writes the
// same values back: MemoryMax, MemoryLow, MemoryHigh, MemoryMin,
// MemorySwapMax, CPUWeight, CPUQuotaPerSecUSec, CPUQuotaPeriodUSec,
// AllowedCPUs, AllowedMemoryNodes, TasksMax, IOWeight, DevicePolicy and
// DeviceAllow. Every value is then also written to the cgroup files by the
// v2 code (the CPU quota as systemd rounds it, to 10 ms a second, so that
// unit and file agree, as with runc), with everything systemd has no
// property for (cpu burst, io.max, hugetlb, rdma, misc, the rest of
// resources.unified).

// infinity is systemd's "no limit" for the uint64 properties.
const infinity = math.MaxUint64

func prop(name string, v any) sddbus.Property {
	return sddbus.Property{Name: name, Value: dbus.MakeVariant(v)}
}

func limitOrInfinity(n int64) uint64 {
	if n < 0 {
		return infinity
	}
	return uint64(n)
}

// systemdIdleVersion is the first systemd whose CPUWeight takes "idle"
// (0 over D-Bus): it writes cpu.idle 1 for it, and cpu.idle 0 with any
// other weight, so that an idle group is a unit setting that systemd
// keeps (and re-applies) like the others.
const systemdIdleVersion = 252

// wantsIdle reports whether r makes the group idle: cpu.idle 1, from the
// cpu resources or resources.unified.
func wantsIdle(r *Resources) bool {
	if r == nil {
		return false
	}
	if r.CPU != nil && r.CPU.Idle != nil && *r.CPU.Idle == 1 {
		return true
	}
	return strings.TrimSpace(r.Unified["cpu.idle"]) == "1"
}

// withoutWeight is r (a copy where it differs) without the settings that
// make a cpu.weight (the shares, a unified cpu.weight): an idle group has
// no weight, and the kernel refuses to write one to it (EINVAL).
func withoutWeight(r *Resources) *Resources {
	c := *r
	if r.CPU != nil && r.CPU.Shares != nil {
		cpu := *r.CPU
		cpu.Shares = nil
		c.CPU = &cpu
	}
	if _, ok := r.Unified["cpu.weight"]; ok {
		c.Unified = make(map[string]string, len(r.Unified))
		for k, v := range r.Unified {
			if k != "cpu.weight" {
				c.Unified[k] = v
			}
		}
	}
	return &c
}

// withCurrentQuota is r with the quota of dir's cpu.max where r sets a
// period without a quota (a copy; r itself otherwise). systemd keeps the
// quota per second, not per period: a new period alone would have it
// write another quota (500000 per 1 s becomes 450000 per 900 ms), and
// the unit's CPUQuotaPerSecUSec would no longer say what the file holds.
// runc's update sends the whole of the container's resources, so the
// quota goes with the period there too.
func withCurrentQuota(r *Resources, dir string) *Resources {
	if r.CPU == nil || r.CPU.Period == nil || r.CPU.Quota != nil || dir == "" {
		return r
	}
	s, err := readTrim(dir, "cpu.max")
	if err != nil {
		return r
	}
	q, _, _ := strings.Cut(s, " ")
	quota := int64(-1)
	if q != "max" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			return r
		}
		quota = n
	}
	c, cpu := *r, *r.CPU
	cpu.Quota = &quota
	c.CPU = &cpu
	return &c
}

// withCurrentPeriod is r with the period of dir's cpu.max where r sets a
// quota without a period (a copy; r itself otherwise). For an unlimited
// quota systemd writes its default period ("max 100000"), whatever the
// unit's CPUQuotaPeriodUSec: the period goes with the quota, to the unit
// and then to the file, so that `update --cpu-quota -1` keeps the period
// as runc's does (runc 1.5.1's update.bats, cpu limits, under systemd).
func withCurrentPeriod(r *Resources, dir string) *Resources {
	if r.CPU == nil || r.CPU.Quota == nil || r.CPU.Period != nil {
		return r
	}
	p, ok := currentPeriod(dir)
	if !ok {
		return r
	}
	c, cpu := *r, *r.CPU
	cpu.Period = &p
	c.CPU = &cpu
	return &c
}

// roundedQuota is r with its CPU quota as systemd holds it (a copy where
// that differs): CPUQuotaPerSecUSec is kept in 10 ms a second, so a quota
// of 500000 per 900000 µs is 560 ms a second, which systemd writes as
// 504000. The cgroup file gets that value too, as runc does, so that the
// unit, the file and what systemd writes again on a reload agree (runc
// 1.5.1's update.bats expects it). The period is r's, else dir's, else
// systemd's default of 100 ms.
func roundedQuota(r *Resources, dir string) *Resources {
	if r == nil || r.CPU == nil || r.CPU.Quota == nil || *r.CPU.Quota <= 0 {
		return r
	}
	period := uint64(100000)
	if r.CPU.Period != nil {
		period = *r.CPU.Period
	} else if p, ok := currentPeriod(dir); ok {
		period = p
	}
	q := int64(quotaPerSec(*r.CPU.Quota, period) * period / 1000000)
	if q == *r.CPU.Quota {
		return r
	}
	c, cpu := *r, *r.CPU
	cpu.Quota = &q
	c.CPU = &cpu
	return &c
}

// systemdProperties converts the non-nil fields of r. dir is the unit's
// cgroup directory when it exists ("" before the unit is started): a
// partial update reads the current memory or CPU limit there to convert
// the other half of a pair. idleWeight says that systemd takes CPUWeight
// idle (systemdIdleVersion): then an idle group is CPUWeight 0, and a
// weight asked for with it is dropped with a warning in runc's words (the
// kernel would refuse it; runc 1.5's update.bats expects them).
func systemdProperties(r *Resources, dir string, idleWeight bool) ([]sddbus.Property, error) {
	var props []sddbus.Property
	if r == nil {
		return nil, nil
	}
	idle := idleWeight && wantsIdle(r)
	if idle {
		props = append(props, prop("CPUWeight", uint64(0)))
	}
	if m := r.Memory; m != nil {
		m = liftSwap(m)
		if m.Limit != nil {
			props = append(props, prop("MemoryMax", limitOrInfinity(*m.Limit)))
		}
		if m.Reservation != nil {
			props = append(props, prop("MemoryLow", limitOrInfinity(*m.Reservation)))
		}
		if m.Swap != nil {
			if m.Limit == nil && *m.Swap != -1 && dir == "" {
				return nil, fmt.Errorf("memory swap %d (memory+swap) needs a memory limit", *m.Swap)
			}
			swap, err := swapMaxV2(dir, m)
			if err != nil {
				return nil, err
			}
			v := uint64(infinity)
			if swap != "max" {
				v, _ = strconv.ParseUint(swap, 10, 64)
			}
			props = append(props, prop("MemorySwapMax", v))
		}
	}
	if c := r.CPU; c != nil {
		if c.Shares != nil {
			if idle {
				warnf("unable to apply both CPUWeight and CpuIdle to systemd, ignoring CPUWeight")
			} else {
				props = append(props, prop("CPUWeight", sharesToWeight(*c.Shares)))
			}
		}
		if c.Quota != nil {
			period := uint64(100000)
			if c.Period != nil {
				period = *c.Period
			} else if p, ok := currentPeriod(dir); ok {
				period = p
			}
			props = append(props, prop("CPUQuotaPerSecUSec", quotaPerSec(*c.Quota, period)))
		}
		if c.Period != nil {
			props = append(props, prop("CPUQuotaPeriodUSec", *c.Period))
		}
		for _, l := range []struct{ name, list string }{{"AllowedCPUs", c.Cpus}, {"AllowedMemoryNodes", c.Mems}} {
			if l.list == "" {
				continue
			}
			mask, err := listMask(l.list)
			if err != nil {
				return nil, fmt.Errorf("%s %q: %w", l.name, l.list, err)
			}
			props = append(props, prop(l.name, mask))
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		if *p.Limit == 0 {
			// runc writes 1 instead; xrt keeps a 0 where it can, as the
			// runtime-spec asks (tests/runc-suite/exemptions.txt).
			return nil, errors.New("pids limit 0: systemd has no TasksMax 0 (its least is 1): give 1, or use the cgroupfs driver, which keeps 0")
		}
		props = append(props, prop("TasksMax", limitOrInfinity(*p.Limit)))
	}
	if b := r.BlockIO; b != nil && b.Weight != nil {
		props = append(props, prop("IOWeight", blkioToIOWeight(*b.Weight)))
	}
	up, err := unifiedProperties(r.Unified, dir, idle)
	if err != nil {
		return nil, err
	}
	props = append(props, up...)
	props = append(props, deviceProperties(r.Devices)...)
	return props, nil
}

// cpuMaxProperties converts a cpu.max value ("max", "QUOTA", "max 100000",
// "QUOTA PERIOD") to CPUQuotaPerSecUSec, and CPUQuotaPeriodUSec when it
// has a period; a quota alone is per the current period of dir.
func cpuMaxProperties(v, dir string) ([]sddbus.Property, error) {
	f := strings.Fields(v)
	if len(f) < 1 || len(f) > 2 {
		return nil, errors.New(`want "QUOTA [PERIOD]", QUOTA a number of µs or max`)
	}
	quota := int64(-1)
	if f[0] != "max" {
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("quota %q is not a positive number of µs or max", f[0])
		}
		quota = n
	}
	period := uint64(100000)
	var props []sddbus.Property
	if len(f) == 2 {
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("period %q is not a positive number of µs", f[1])
		}
		period = n
		props = append(props, prop("CPUQuotaPeriodUSec", period))
	} else if p, ok := currentPeriod(dir); ok {
		period = p
	}
	return append([]sddbus.Property{prop("CPUQuotaPerSecUSec", quotaPerSec(quota, period))}, props...), nil
}

// quotaPerSec is systemd's CPUQuotaPerSecUSec for a quota per period (both
// in µs), rounded up to 10 ms per second, the unit systemd keeps it in;
// -1 is no quota.
func quotaPerSec(quota int64, period uint64) uint64 {
	if quota < 0 {
		return infinity
	}
	if period == 0 {
		period = 100000
	}
	v := uint64(quota) * 1000000 / period
	if v%10000 != 0 {
		v = (v/10000 + 1) * 10000
	}
	return v
}

// currentPeriod reads the period of dir's cpu.max.
func currentPeriod(dir string) (uint64, bool) {
	if dir == "" {
		return 0, false
	}
	s, err := readTrim(dir, "cpu.max")
	if err != nil {
		return 0, false
	}
	_, p, ok := strings.Cut(s, " ")
	n, err := strconv.ParseUint(p, 10, 64)
	return n, ok && err == nil
}

// listMask is a kernel list ("0-2,5") as systemd's CPU and node masks
// want it: bytes, bit i of byte j for number 8j+i.
func listMask(s string) ([]byte, error) {
	l, err := parseList(s)
	if err != nil {
		return nil, err
	}
	var b []byte
	for _, w := range l {
		for i := 0; i < 8; i++ {
			b = append(b, byte(w>>(8*i)))
		}
	}
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b, nil
}

// unifiedProperties converts the resources.unified keys systemd has a
// property for; the files are written as well (and check the values).
// With idle (CPUWeight is already idle), cpu.weight is dropped. cpu.max
// ("QUOTA [PERIOD]") is CPUQuotaPerSecUSec (and CPUQuotaPeriodUSec), a
// quota alone taken per the unit's current period (dir); cpuset.cpus and
// cpuset.mems are AllowedCPUs and AllowedMemoryNodes. Without them systemd
// would keep, and re-apply, what the unit was started with.
func unifiedProperties(u map[string]string, dir string, idle bool) ([]sddbus.Property, error) {
	names := map[string]string{
		"memory.max": "MemoryMax", "memory.high": "MemoryHigh", "memory.low": "MemoryLow",
		"memory.min": "MemoryMin", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax",
		"cpu.weight": "CPUWeight", "io.weight": "IOWeight",
		"cpu.max": "CPUQuotaPerSecUSec", "cpuset.cpus": "AllowedCPUs", "cpuset.mems": "AllowedMemoryNodes",
	}
	keys := make([]string, 0, len(u))
	for k := range u {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var props []sddbus.Property
	for _, k := range keys {
		name, ok := names[k]
		if !ok {
			continue
		}
		v := strings.TrimSpace(u[k])
		if k == "cpu.weight" && idle {
			warnf("unable to apply both cpu.weight and cpu.idle to systemd, ignoring cpu.weight")
			continue
		}
		switch k {
		case "cpu.max":
			cp, err := cpuMaxProperties(v, dir)
			if err != nil {
				return nil, fmt.Errorf("unified %s %q: %w", k, v, err)
			}
			props = append(props, cp...)
			continue
		case "cpuset.cpus", "cpuset.mems":
			if v == "" {
				continue
			}
			mask, err := listMask(v)
			if err != nil {
				return nil, fmt.Errorf("unified %s %q: %w", k, v, err)
			}
			props = append(props, prop(name, mask))
			continue
		}
		if k == "io.weight" {
			v = strings.TrimPrefix(v, "default ")
		}
		if v == "max" {
			props = append(props, prop(name, uint64(infinity)))
		} else if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			props = append(props, prop(name, n))
		}
	}
	return props, nil
}

// AnnotationPrefix marks annotations that are unit properties:
// "org.systemd.property.TimeoutStopUSec": "uint64 123456789". The value is
// a GVariant in text form (with its type where it is not obvious). As with
// runc, a name ending in "Sec" (not "USec"), as in unit files, takes a
// number of seconds and becomes the D-Bus property in microseconds:
// "RuntimeMaxSec": "2" is RuntimeMaxUSec 2000000 (systemd knows no
// property RuntimeMaxSec over D-Bus).
const AnnotationPrefix = "org.systemd.property."

// annotationProperties converts the org.systemd.property.* annotations.
func annotationProperties(ann map[string]string) ([]sddbus.Property, error) {
	keys := make([]string, 0, len(ann))
	for k := range ann {
		if strings.HasPrefix(k, AnnotationPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var props []sddbus.Property
	for _, k := range keys {
		name := strings.TrimPrefix(k, AnnotationPrefix)
		if name == "" || strings.ContainsAny(name, ". \t") {
			return nil, fmt.Errorf("annotation %q: %q is not a unit property name", k, name)
		}
		v, err := dbus.ParseVariant(ann[k], dbus.Signature{})
		if err != nil {
			return nil, fmt.Errorf("annotation %q: value %q is not a GVariant (e.g. \"uint64 100\", \"'text'\", \"true\"): %w", k, ann[k], err)
		}
		if sec, ok := strings.CutSuffix(name, "Sec"); ok && !strings.HasSuffix(sec, "U") {
			usec, err := secondsToUSec(v)
			if err != nil {
				return nil, fmt.Errorf("annotation %q: %w", k, err)
			}
			name, v = sec+"USec", dbus.MakeVariant(usec)
		}
		props = append(props, sddbus.Property{Name: name, Value: v})
	}
	return props, nil
}

// secondsToUSec converts a number of seconds (any integer or floating
// GVariant; "infinity" for no limit) to microseconds.
func secondsToUSec(v dbus.Variant) (uint64, error) {
	var sec float64
	switch n := v.Value().(type) {
	case uint8:
		sec = float64(n)
	case int16:
		sec = float64(n)
	case uint16:
		sec = float64(n)
	case int32:
		sec = float64(n)
	case uint32:
		sec = float64(n)
	case int64:
		sec = float64(n)
	case uint64:
		sec = float64(n)
	case float64:
		sec = n
	case string:
		if n == "infinity" {
			return infinity, nil
		}
		return 0, fmt.Errorf("%q is not a number of seconds", n)
	default:
		return 0, fmt.Errorf("value %s is not a number of seconds", v)
	}
	if sec < 0 || math.IsNaN(sec) {
		return 0, fmt.Errorf("%v seconds: must not be negative", sec)
	}
	if sec*1e6 >= float64(infinity) {
		return infinity, nil
	}
	return uint64(math.Round(sec * 1e6)), nil
}

// mergeProperties appends extra to props; a name in extra replaces the
// same name in props.
func mergeProperties(props, extra []sddbus.Property) []sddbus.Property {
	over := map[string]bool{}
	for _, p := range extra {
		over[p.Name] = true
	}
	out := props[:0:0]
	for _, p := range props {
		if !over[p.Name] {
			out = append(out, p)
		}
	}
	return append(out, extra...)
}

// procDevices reads /proc/devices: the names of majors, by type.
var procDevices = func() map[string]map[int64]string {
	out := map[string]map[int64]string{"c": {}, "b": {}}
	b, err := os.ReadFile("/proc/devices")
	if err != nil {
		return out
	}
	typ := ""
	for line := range strings.SplitSeq(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "Character"):
			typ = "c"
		case strings.HasPrefix(line, "Block"):
			typ = "b"
		default:
			f := strings.Fields(line)
			if len(f) == 2 && typ != "" {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					out[typ][n] = f[1]
				}
			}
		}
	}
	return out
}
