package cgroups

import (
	"fmt"
	"math"
)

// The memory controller.
//
// v1: memory.limit_in_bytes, memory.memsw.limit_in_bytes (memory+swap, the
// spec's Swap as is), memory.soft_limit_in_bytes, memory.swappiness,
// memory.oom_control, memory.use_hierarchy.
// v2: memory.max, memory.swap.max (Swap - Limit: swap alone), memory.low.

func validateMemory(m *Memory) error {
	for _, f := range []struct {
		name string
		v    *int64
	}{{"limit", m.Limit}, {"reservation", m.Reservation}, {"swap", m.Swap}} {
		if f.v != nil && *f.v < -1 {
			return fmt.Errorf("memory %s %d must be -1 (unlimited) or >= 0", f.name, *f.v)
		}
	}
	if m.Swap != nil && *m.Swap > 0 && m.Limit != nil {
		if *m.Limit == -1 {
			return fmt.Errorf("memory swap %d (memory+swap) needs a memory limit, not -1 (unlimited)", *m.Swap)
		}
		if *m.Swap < *m.Limit {
			return fmt.Errorf("memory swap %d (memory+swap) must not be below the memory limit %d", *m.Swap, *m.Limit)
		}
	}
	if m.Swappiness != nil && *m.Swappiness > 100 {
		return fmt.Errorf("memory swappiness %d must be 0..100", *m.Swappiness)
	}
	return nil
}

func warnKernelMemory(m *Memory) {
	if m.Kernel != nil {
		warnf("memory kernel limit %d ignored: kernel memory limits are not supported", *m.Kernel)
	}
	if m.KernelTCP != nil {
		warnf("memory kernelTCP limit %d ignored: kernel memory limits are not supported", *m.KernelTCP)
	}
}

// checkUsage implements checkBeforeUpdate: a limit below the current usage
// is refused instead of making the kernel reclaim or OOM-kill. memFile is
// the memory usage; swapFile the swap usage ("" when it counts memory and
// swap together, as v1's memsw does). The memory+swap limit is checked
// first, and the errors say "rejecting ... limit" in runc's words, which
// scripts look for.
func checkUsage(dir, memFile, swapFile string, m *Memory) error {
	if m.CheckBeforeUpdate == nil || !*m.CheckBeforeUpdate {
		return nil
	}
	limit := m.Limit != nil && *m.Limit > 0
	swap := m.Swap != nil && *m.Swap > 0
	if !limit && !swap {
		return nil
	}
	usage, err := readUint(dir, memFile)
	if err != nil {
		return fmt.Errorf("memory checkBeforeUpdate: %w", err)
	}
	if swap {
		total := usage
		if swapFile != "" {
			// No swap accounting: nothing is in swap that could count.
			if s, err := readUint(dir, swapFile); err == nil {
				total += s
			}
		} else if s, err := readUint(dir, "memory.memsw.usage_in_bytes"); err == nil {
			total = s
		}
		if uint64(*m.Swap) < total {
			return fmt.Errorf("rejecting memory+swap limit %d below the current usage %d (%s); refused (checkBeforeUpdate)", *m.Swap, total, dir)
		}
	}
	if limit && uint64(*m.Limit) < usage {
		return fmt.Errorf("rejecting memory limit %d below the current usage %d (%s/%s); refused (checkBeforeUpdate)", *m.Limit, usage, dir, memFile)
	}
	return nil
}

func setMemoryV1(dir string, m *Memory) error {
	if dir == "" {
		return notMounted("memory limits", "memory")
	}
	warnKernelMemory(m)
	if err := checkUsage(dir, "memory.usage_in_bytes", "", m); err != nil {
		return err
	}
	limit, swap := m.Limit, m.Swap
	if limit != nil && *limit == -1 && swap == nil {
		// Lifting the limit lifts memory+swap too: memsw may not be lower.
		if _, err := readTrim(dir, "memory.memsw.limit_in_bytes"); err == nil {
			swap = limit
		}
	}
	setLimit := func() error { return writeFile(dir, "memory.limit_in_bytes", i64(*limit)) }
	setSwap := func() error {
		err := writeFile(dir, "memory.memsw.limit_in_bytes", i64(*swap))
		if err != nil && notExist(err) {
			if *swap == -1 {
				return nil // no swap accounting: nothing to lift
			}
			return fmt.Errorf("memory swap limit needs swap accounting (boot with swapaccount=1): %w", err)
		}
		return err
	}
	switch {
	case limit != nil && swap != nil:
		// The kernel keeps memsw >= limit at every step: raise memsw first
		// when the new limit is above the current memsw, else lower the
		// limit first.
		swapFirst := *swap == -1
		if !swapFirst {
			if cur, err := readInt(dir, "memory.memsw.limit_in_bytes"); err == nil && *limit > cur {
				swapFirst = true
			}
		}
		first, second := setLimit, setSwap
		if swapFirst {
			first, second = setSwap, setLimit
		}
		if err := first(); err != nil {
			return err
		}
		if err := second(); err != nil {
			return err
		}
	case limit != nil:
		if err := setLimit(); err != nil {
			return err
		}
	case swap != nil:
		if err := setSwap(); err != nil {
			return err
		}
	}
	if m.Reservation != nil {
		if err := writeFile(dir, "memory.soft_limit_in_bytes", i64(*m.Reservation)); err != nil {
			return err
		}
	}
	if m.Swappiness != nil {
		if err := writeFile(dir, "memory.swappiness", u64(*m.Swappiness)); err != nil {
			return err
		}
	}
	if m.DisableOOMKiller != nil {
		if err := writeFile(dir, "memory.oom_control", boolStr(*m.DisableOOMKiller)); err != nil {
			return err
		}
	}
	if m.UseHierarchy != nil {
		if err := writeFile(dir, "memory.use_hierarchy", boolStr(*m.UseHierarchy)); err != nil {
			return err
		}
	}
	return nil
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func setMemoryV2(dir string, m *Memory) error {
	warnKernelMemory(m)
	if m.Swappiness != nil {
		warnf("memory swappiness %d ignored: cgroup v2 has no per-cgroup swappiness", *m.Swappiness)
	}
	if m.DisableOOMKiller != nil && *m.DisableOOMKiller {
		warnf("memory disableOOMKiller ignored: cgroup v2 cannot disable the OOM killer")
	}
	if m.UseHierarchy != nil && !*m.UseHierarchy {
		warnf("memory useHierarchy=false ignored: cgroup v2 accounting is always hierarchical")
	}
	if err := checkUsage(dir, "memory.current", "memory.swap.current", m); err != nil {
		return v2Hint(err, "memory")
	}
	m = liftSwap(m)
	if m.Limit != nil {
		if err := writeFile(dir, "memory.max", maxOr64(*m.Limit)); err != nil {
			return v2Hint(err, "memory")
		}
	}
	if m.Swap != nil {
		val, err := swapMaxV2(dir, m)
		if err != nil {
			return err
		}
		if err := writeFile(dir, "memory.swap.max", val); err != nil {
			if notExist(err) && exists(dir+"/memory.max") {
				if val == "max" || val == "0" {
					return nil // no swap accounting: nothing to lift or forbid
				}
				return fmt.Errorf("memory swap limit needs swap accounting (memory.swap.max is missing): %w", err)
			}
			return v2Hint(err, "memory")
		}
	}
	if m.Reservation != nil {
		if err := writeFile(dir, "memory.low", maxOr64(*m.Reservation)); err != nil {
			return v2Hint(err, "memory")
		}
	}
	return nil
}

// liftSwap returns m with Swap -1 (unlimited) when it lifts the memory
// limit and says nothing of swap: as with runc, `update --memory -1` lifts
// both, on v1 (memsw may not be below the limit) and on v2 alike.
func liftSwap(m *Memory) *Memory {
	if m.Limit == nil || *m.Limit != -1 || m.Swap != nil {
		return m
	}
	c := *m
	c.Swap = &[]int64{-1}[0]
	return &c
}

// swapMaxV2 converts the spec's memory+swap limit into memory.swap.max,
// the swap alone: Swap - Limit, with the limit of this update or, for a
// swap-only update, the current memory.max.
func swapMaxV2(dir string, m *Memory) (string, error) {
	swap := *m.Swap
	if swap == -1 {
		return "max", nil
	}
	var limit int64
	if m.Limit != nil {
		limit = *m.Limit
	} else {
		cur, err := readUint(dir, "memory.max")
		if err != nil {
			return "", v2Hint(fmt.Errorf("memory swap: %w", err), "memory")
		}
		if cur > math.MaxInt64 {
			limit = -1
		} else {
			limit = int64(cur)
		}
	}
	if limit == -1 {
		return "", fmt.Errorf("memory swap %d (memory+swap) needs a memory limit; memory.max is max", swap)
	}
	if swap < limit {
		return "", fmt.Errorf("memory swap %d (memory+swap) must not be below the memory limit %d", swap, limit)
	}
	return i64(swap - limit), nil
}

func statMemoryV1(dir string, st *MemoryStats) error {
	raw, err := readFile(dir, "memory.stat")
	if err != nil {
		if notExist(err) {
			return nil
		}
		return err
	}
	st.Raw = parseKV(raw)
	st.Cache = st.Raw["cache"]
	entry := func(prefix string) MemoryEntry {
		var e MemoryEntry
		e.Usage, _ = readUint(dir, prefix+"usage_in_bytes")
		e.Max, _ = readUint(dir, prefix+"max_usage_in_bytes")
		e.Limit, _ = readUint(dir, prefix+"limit_in_bytes")
		e.Failcnt, _ = readUint(dir, prefix+"failcnt")
		return e
	}
	st.Usage = entry("memory.")
	st.Swap = entry("memory.memsw.")
	st.Kernel = entry("memory.kmem.")
	st.KernelTCP = entry("memory.kmem.tcp.")
	return nil
}

func statMemoryV2(dir string, st *MemoryStats) error {
	raw, err := readFile(dir, "memory.stat")
	if err != nil {
		if notExist(err) {
			return nil
		}
		return err
	}
	st.Raw = parseKV(raw)
	st.Cache = st.Raw["file"]
	st.Usage.Usage, _ = readUint(dir, "memory.current")
	st.Usage.Max, _ = readUint(dir, "memory.peak")
	st.Usage.Limit, _ = readUint(dir, "memory.max")
	if ev, err := readFile(dir, "memory.events"); err == nil {
		st.Usage.Failcnt = parseKV(ev)["max"]
	}
	// Swap reads as memory+swap, as on v1.
	if swap, err := readUint(dir, "memory.swap.current"); err == nil {
		st.Swap.Usage = st.Usage.Usage + swap
		swapMax, _ := readUint(dir, "memory.swap.max")
		st.Swap.Limit = satAdd(st.Usage.Limit, swapMax)
		if ev, err := readFile(dir, "memory.swap.events"); err == nil {
			st.Swap.Failcnt = parseKV(ev)["max"]
		}
	}
	st.Kernel.Usage = st.Raw["kernel"]
	st.KernelTCP.Usage = st.Raw["sock"]
	return nil
}

func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return math.MaxUint64
	}
	return a + b
}
