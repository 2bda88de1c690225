package cgroups

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The hugetlb controller. Each limit is written as a reservation limit
// when the kernel has them (v1 hugetlb.<size>.rsvd.limit_in_bytes, v2
// hugetlb.<size>.rsvd.max), and always as a fault limit (v1
// hugetlb.<size>.limit_in_bytes, v2 hugetlb.<size>.max). A page size the
// host does not offer fails on its missing file.

func validateHugepages(limits []HugepageLimit) error {
	for _, l := range limits {
		if err := checkPageSize(l.PageSize); err != nil {
			return err
		}
	}
	return nil
}

// checkPageSize accepts "<digits><KB|MB|GB>", the names the kernel gives
// its hugetlb files.
func checkPageSize(s string) error {
	n := len(s) - 2
	if n < 1 || (s[n:] != "KB" && s[n:] != "MB" && s[n:] != "GB") {
		return fmt.Errorf("hugepage size %q must look like 2MB, 64KB or 1GB", s)
	}
	for _, c := range s[:n] {
		if c < '0' || c > '9' {
			return fmt.Errorf("hugepage size %q must look like 2MB, 64KB or 1GB", s)
		}
	}
	return nil
}

func setHugetlb(dir string, limits []HugepageLimit, suffix, rsvdSuffix string) error {
	for _, l := range limits {
		val := u64(l.Limit)
		err := writeFile(dir, "hugetlb."+l.PageSize+rsvdSuffix, val)
		if err != nil && !notExist(err) {
			return err
		}
		if err := writeFile(dir, "hugetlb."+l.PageSize+suffix, val); err != nil {
			if notExist(err) && exists(dir) {
				return fmt.Errorf("hugepage size %s is not supported by this host: %w", l.PageSize, err)
			}
			return err
		}
	}
	return nil
}

func setHugetlbV1(dir string, limits []HugepageLimit) error {
	if dir == "" {
		return notMounted("hugepage limits", "hugetlb")
	}
	return setHugetlb(dir, limits, ".limit_in_bytes", ".rsvd.limit_in_bytes")
}

func setHugetlbV2(dir string, limits []HugepageLimit) error {
	if !exists(dir + "/hugetlb." + limits[0].PageSize + ".max") {
		if s, err := readTrim(dir, "cgroup.controllers"); err == nil && !contains(strings.Fields(s), "hugetlb") {
			return fmt.Errorf("hugepage limits requested but the hugetlb controller is not enabled for %s: %w", dir, ErrNotMounted)
		}
	}
	return setHugetlb(dir, limits, ".max", ".rsvd.max")
}

// hugePageSizes lists the host's huge page sizes as the hugetlb files name
// them ("2MB", "1GB"), from /sys/kernel/mm/hugepages.
var hugePagesDir = "/sys/kernel/mm/hugepages"

func hugePageSizes() []string {
	entries, err := os.ReadDir(hugePagesDir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		kb, ok := strings.CutPrefix(e.Name(), "hugepages-")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(kb, "kB"), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, pageSizeName(n))
	}
	return out
}

// pageSizeName names a size in KiB the way the kernel's hugetlb files do.
func pageSizeName(kb uint64) string {
	switch {
	case kb >= 1<<20 && kb%(1<<20) == 0:
		return u64(kb>>20) + "GB"
	case kb >= 1<<10 && kb%(1<<10) == 0:
		return u64(kb>>10) + "MB"
	}
	return u64(kb) + "KB"
}

func statHugetlbV1(dir string) (map[string]HugetlbStat, error) {
	out := map[string]HugetlbStat{}
	for _, size := range hugePageSizes() {
		p := "hugetlb." + size + "."
		usage, err := readUint(dir, p+"usage_in_bytes")
		if err != nil {
			continue
		}
		st := HugetlbStat{Usage: usage}
		st.Max, _ = readUint(dir, p+"max_usage_in_bytes")
		st.Failcnt, _ = readUint(dir, p+"failcnt")
		out[size] = st
	}
	return out, nil
}

func statHugetlbV2(dir string) (map[string]HugetlbStat, error) {
	out := map[string]HugetlbStat{}
	for _, size := range hugePageSizes() {
		p := "hugetlb." + size + "."
		usage, err := readUint(dir, p+"current")
		if err != nil {
			continue
		}
		st := HugetlbStat{Usage: usage}
		if ev, err := readFile(dir, p+"events"); err == nil {
			st.Failcnt = parseKV(ev)["max"]
		}
		out[size] = st
	}
	return out, nil
}
