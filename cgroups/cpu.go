package cgroups

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// The cpu controller (cpuset lives in cpuset.go, cpuacct statistics here).
//
// v1: cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us, cpu.cfs_burst_us,
// cpu.rt_period_us, cpu.rt_runtime_us, cpu.idle.
// v2: cpu.weight (from shares), cpu.max ("quota period"), cpu.max.burst,
// cpu.idle; no realtime group scheduling.

const (
	minShares, maxShares = 2, 262144
	minPeriod, maxPeriod = 1000, 1000000 // µs: the kernel's bounds
	minQuota             = 1000
)

func validateCPU(c *CPU) error {
	if c.Shares != nil && (*c.Shares < minShares || *c.Shares > maxShares) {
		return fmt.Errorf("cpu shares %d out of range %d..%d", *c.Shares, minShares, maxShares)
	}
	if c.Quota != nil && *c.Quota != -1 && *c.Quota < minQuota {
		return fmt.Errorf("cpu quota %d must be -1 (unlimited) or at least %d (µs)", *c.Quota, minQuota)
	}
	if c.Period != nil && (*c.Period < minPeriod || *c.Period > maxPeriod) {
		return fmt.Errorf("cpu period %d out of range %d..%d (µs)", *c.Period, minPeriod, maxPeriod)
	}
	if c.Burst != nil && c.Quota != nil && *c.Quota > 0 && *c.Burst > uint64(*c.Quota) {
		return fmt.Errorf("cpu burst %d must not exceed the quota %d", *c.Burst, *c.Quota)
	}
	if c.RealtimeRuntime != nil && *c.RealtimeRuntime < -1 {
		return fmt.Errorf("cpu realtimeRuntime %d must be -1 (unlimited) or >= 0", *c.RealtimeRuntime)
	}
	if c.RealtimePeriod != nil && *c.RealtimePeriod == 0 {
		return errors.New("cpu realtimePeriod must be positive")
	}
	if c.RealtimeRuntime != nil && c.RealtimePeriod != nil && *c.RealtimeRuntime > 0 && uint64(*c.RealtimeRuntime) > *c.RealtimePeriod {
		return fmt.Errorf("cpu realtimeRuntime %d must not exceed realtimePeriod %d", *c.RealtimeRuntime, *c.RealtimePeriod)
	}
	if c.Idle != nil && *c.Idle != 0 && *c.Idle != 1 {
		return fmt.Errorf("cpu idle %d must be 0 or 1", *c.Idle)
	}
	if c.Cpus != "" {
		if _, err := parseList(c.Cpus); err != nil {
			return fmt.Errorf("cpu cpus %q: %w", c.Cpus, err)
		}
	}
	if c.Mems != "" {
		if _, err := parseList(c.Mems); err != nil {
			return fmt.Errorf("cpu mems %q: %w", c.Mems, err)
		}
	}
	return nil
}

// sharesToWeight maps cgroup v1 cpu.shares [2..262144] onto cgroup v2
// cpu.weight [1..10000] as runc 1.3.2 and later, crun and Kubernetes do
// (KEP-2254's revision): a quadratic in l = log2(shares) for the exponent
// of ten, chosen so that the ends and the defaults meet (2 -> 1,
// 1024 -> 100, 262144 -> 10000), rounded up. The old linear map gave
// 1024 shares a weight of 39, well below v2's default of 100, so a
// container that asked for the default got less than its neighbours.
func sharesToWeight(shares uint64) uint64 {
	switch {
	case shares <= minShares:
		return 1
	case shares >= maxShares:
		return 10000
	}
	l := math.Log2(float64(shares))
	e := (l*l+125*l)/612 - 7.0/34
	return uint64(math.Ceil(math.Pow(10, e)))
}

// writePair writes two files in order a then b; if a is refused with
// EINVAL (the pair would be invalid in between), it tries b then a.
func writePair(dir, fa, va, fb, vb string) error {
	if err := writeFile(dir, fa, va); err != nil {
		if !isEINVAL(err) {
			return err
		}
		if err2 := writeFile(dir, fb, vb); err2 != nil {
			return err // the first error explains it best
		}
		return writeFile(dir, fa, va)
	}
	return writeFile(dir, fb, vb)
}

// writePeriodLimit writes whichever of a period and its per-period limit
// are set; both go through writePair, which finds an order the kernel takes.
func writePeriodLimit(dir, periodFile string, period *uint64, limitFile string, limit *int64) error {
	switch {
	case period != nil && limit != nil:
		return writePair(dir, periodFile, u64(*period), limitFile, i64(*limit))
	case period != nil:
		return writeFile(dir, periodFile, u64(*period))
	case limit != nil:
		return writeFile(dir, limitFile, i64(*limit))
	}
	return nil
}

func setCPUV1(dir string, c *CPU) error {
	if !cpuLimits(c) {
		return nil
	}
	if dir == "" {
		return notMounted("cpu limits", "cpu")
	}
	// A SCHED_IDLE group refuses shares: leave idle first, enter it last.
	if c.Idle != nil && *c.Idle == 0 {
		if err := writeFile(dir, "cpu.idle", "0"); err != nil {
			return err
		}
	}
	if c.Shares != nil {
		if err := writeFile(dir, "cpu.shares", u64(*c.Shares)); err != nil {
			return err
		}
	}
	if err := writePeriodLimit(dir, "cpu.cfs_period_us", c.Period, "cpu.cfs_quota_us", c.Quota); err != nil {
		return err
	}
	if c.Burst != nil {
		if err := writeFile(dir, "cpu.cfs_burst_us", u64(*c.Burst)); err != nil {
			return err
		}
	}
	if err := writePeriodLimit(dir, "cpu.rt_period_us", c.RealtimePeriod, "cpu.rt_runtime_us", c.RealtimeRuntime); err != nil {
		return err
	}
	if c.Idle != nil && *c.Idle == 1 {
		if err := writeFile(dir, "cpu.idle", "1"); err != nil {
			return err
		}
	}
	return nil
}

// cpuLimits reports whether c sets anything of the cpu controller (as
// opposed to cpuset).
func cpuLimits(c *CPU) bool {
	return c.Shares != nil || c.Quota != nil || c.Period != nil || c.Burst != nil ||
		c.RealtimeRuntime != nil || c.RealtimePeriod != nil || c.Idle != nil
}

func setCPUV2(dir string, c *CPU) error {
	if !cpuLimits(c) {
		return nil
	}
	if c.RealtimeRuntime != nil || c.RealtimePeriod != nil {
		return errors.New("cpu realtimeRuntime and realtimePeriod are not supported on cgroup v2 (no realtime group scheduling)")
	}
	if c.Idle != nil && *c.Idle == 0 {
		if err := writeFile(dir, "cpu.idle", "0"); err != nil {
			return v2Hint(err, "cpu")
		}
	}
	if c.Shares != nil {
		if err := writeFile(dir, "cpu.weight", u64(sharesToWeight(*c.Shares))); err != nil {
			return v2Hint(err, "cpu")
		}
	}
	if c.Quota != nil || c.Period != nil {
		// "quota period"; the kernel keeps the period when only the quota
		// is written. A period alone keeps the current quota.
		var quota string
		if c.Quota != nil {
			quota = maxOr64(*c.Quota)
		} else {
			cur, err := readTrim(dir, "cpu.max")
			if err != nil {
				return v2Hint(fmt.Errorf("cpu period: %w", err), "cpu")
			}
			quota, _, _ = strings.Cut(cur, " ")
		}
		val := quota
		if c.Period != nil {
			val += " " + u64(*c.Period)
		}
		if err := writeFile(dir, "cpu.max", val); err != nil {
			return v2Hint(err, "cpu")
		}
	}
	if c.Burst != nil {
		if err := writeFile(dir, "cpu.max.burst", u64(*c.Burst)); err != nil {
			return v2Hint(err, "cpu")
		}
	}
	if c.Idle != nil && *c.Idle == 1 {
		if err := writeFile(dir, "cpu.idle", "1"); err != nil {
			return v2Hint(err, "cpu")
		}
	}
	return nil
}

// statCPUAcctV1 reads cpuacct: total, per CPU, user and kernel time (ns).
func statCPUAcctV1(dir string, st *CPUStats) error {
	total, err := readUint(dir, "cpuacct.usage")
	if err != nil {
		if notExist(err) {
			return nil
		}
		return err
	}
	st.Usage.Total = total
	if s, err := readFile(dir, "cpuacct.usage_percpu"); err == nil {
		st.Usage.Percpu = parseUintList(s)
	}
	if s, err := readFile(dir, "cpuacct.usage_percpu_user"); err == nil {
		st.Usage.PercpuUser = parseUintList(s)
	}
	if s, err := readFile(dir, "cpuacct.usage_percpu_sys"); err == nil {
		st.Usage.PercpuKernel = parseUintList(s)
	}
	user, errU := readUint(dir, "cpuacct.usage_user")
	sys, errS := readUint(dir, "cpuacct.usage_sys")
	if errU == nil && errS == nil {
		st.Usage.User, st.Usage.Kernel = user, sys
		return nil
	}
	// Older kernels: cpuacct.stat, in USER_HZ (100 per second) ticks.
	if s, err := readFile(dir, "cpuacct.stat"); err == nil {
		kv := parseKV(s)
		const tick = 1e9 / 100
		st.Usage.User, st.Usage.Kernel = kv["user"]*tick, kv["system"]*tick
	}
	return nil
}

// statCPUV1 reads the CFS throttling counters from cpu.stat.
func statCPUV1(dir string, st *CPUStats) error {
	s, err := readFile(dir, "cpu.stat")
	if err != nil {
		if notExist(err) {
			return nil
		}
		return err
	}
	kv := parseKV(s)
	st.Throttling = Throttling{Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_time"]}
	return nil
}

// statCPUV2 reads cpu.stat (µs, converted to ns). Usage is there even
// without the cpu controller; throttling only with it.
func statCPUV2(dir string, st *CPUStats) error {
	s, err := readFile(dir, "cpu.stat")
	if err != nil {
		if notExist(err) {
			return nil
		}
		return err
	}
	kv := parseKV(s)
	st.Usage.Total = kv["usage_usec"] * 1000
	st.Usage.User = kv["user_usec"] * 1000
	st.Usage.Kernel = kv["system_usec"] * 1000
	st.Throttling = Throttling{Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_usec"] * 1000}
	return nil
}
