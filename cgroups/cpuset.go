package cgroups

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The cpuset controller: cpuset.cpus and cpuset.mems, same names on v1
// and v2. A new v1 cpuset cgroup starts with both empty, and a process
// cannot join it (ENOSPC) until they are filled: Apply copies them from
// the parent into every directory it creates.

// Host files listing the online CPUs and memory nodes (tests point them
// at fakes).
var (
	onlineCPUsFile = "/sys/devices/system/cpu/online"
	onlineMemsFile = "/sys/devices/system/node/online"
)

// maxListIndex bounds CPU and node numbers in a list, so that a typo like
// "0-99999999" does not allocate a huge set.
const maxListIndex = 1 << 16

// cpuList is a set of CPU or memory node numbers.
type cpuList []uint64

// parseList parses a kernel list ("0-3,7", "", "1,3-4"; spaces and a
// trailing newline are tolerated).
func parseList(s string) (cpuList, error) {
	var l cpuList
	s = strings.TrimSpace(s)
	if s == "" {
		return l, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad list element %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil || b < a {
				return nil, fmt.Errorf("bad list range %q", part)
			}
		}
		if b >= maxListIndex {
			return nil, fmt.Errorf("list element %q is too large", part)
		}
		for i := a; i <= b; i++ {
			for int(i/64) >= len(l) {
				l = append(l, 0)
			}
			l[i/64] |= 1 << (i % 64)
		}
	}
	return l, nil
}

// subsetOf reports whether every member of l is in m.
func (l cpuList) subsetOf(m cpuList) bool {
	for i, w := range l {
		var mw uint64
		if i < len(m) {
			mw = m[i]
		}
		if w&^mw != 0 {
			return false
		}
	}
	return true
}

// checkCpuset checks cpus and mems against the host's online CPUs and
// memory nodes (a host without NUMA information accepts any mems).
func checkCpuset(c *CPU) error {
	check := func(what, val, file, desc string) error {
		if val == "" {
			return nil
		}
		want, err := parseList(val)
		if err != nil {
			return fmt.Errorf("cpu %s %q: %w", what, val, err)
		}
		online, err := readPath(file)
		if err != nil {
			if notExist(err) && what == "mems" {
				return nil
			}
			return fmt.Errorf("cpu %s: %w", what, err)
		}
		online = strings.TrimSpace(online)
		have, err := parseList(online)
		if err != nil {
			return fmt.Errorf("cpu %s: %s: %w", what, file, err)
		}
		if !want.subsetOf(have) {
			return fmt.Errorf("%s %q are not in this host's online %s %s", what, val, desc, online)
		}
		return nil
	}
	return errors.Join(check("cpus", c.Cpus, onlineCPUsFile, "CPUs"), check("mems", c.Mems, onlineMemsFile, "memory nodes"))
}

func setCpuset(dir string, c *CPU) error {
	if c.Cpus != "" {
		if err := writeFile(dir, "cpuset.cpus", c.Cpus); err != nil {
			return err
		}
	}
	if c.Mems != "" {
		if err := writeFile(dir, "cpuset.mems", c.Mems); err != nil {
			return err
		}
	}
	return nil
}

func setCpusetV1(dir string, c *CPU) error {
	if c.Cpus == "" && c.Mems == "" {
		return nil
	}
	if dir == "" {
		return notMounted("cpu cpus/mems", "cpuset")
	}
	return setCpuset(dir, c)
}

func setCpusetV2(dir string, c *CPU) error {
	return v2Hint(setCpuset(dir, c), "cpuset")
}

// cpusetInherit fills an empty cpuset.cpus and cpuset.mems of dir (a v1
// cgroup below mountpoint) from its parent, filling an empty parent first
// (a parent another xrt has just created and not filled yet).
func cpusetInherit(mountpoint, dir string) error {
	for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
		if err := inheritOne(mountpoint, dir, file); err != nil {
			return err
		}
	}
	return nil
}

func inheritOne(mountpoint, dir, file string) error {
	cur, err := readTrim(dir, file)
	if err != nil || cur != "" || dir == mountpoint {
		return err
	}
	parent := dir[:strings.LastIndexByte(dir, '/')]
	val, err := readTrim(parent, file)
	if err != nil {
		return err
	}
	if val == "" && parent != mountpoint {
		if err := inheritOne(mountpoint, parent, file); err != nil {
			return err
		}
		if val, err = readTrim(parent, file); err != nil {
			return err
		}
	}
	return writeFile(dir, file, val)
}
