package cgroups

import (
	"fmt"
	"slices"
	"strings"
)

// Unified: raw cgroup v2 files (linux.resources.unified), written last so
// they override the converted settings, in key order. A key names a file
// of the cgroup directory ("memory.high"); its controller is the part
// before the first dot, and must be available to the cgroup (listed in its
// cgroup.controllers), except for the core "cgroup." files. On hybrid
// hosts the keys go to the cgroup2 tree, which has no controllers unless
// the host gave it some.

func validateUnified(m map[string]string) error {
	for k := range m {
		if err := checkUnifiedKey(k); err != nil {
			return err
		}
	}
	return nil
}

func checkUnifiedKey(k string) error {
	ctrl, rest, ok := strings.Cut(k, ".")
	if !ok || ctrl == "" || rest == "" || strings.ContainsRune(k, '/') || strings.Contains(k, "..") || strings.ContainsAny(k, " \t\n\x00") {
		return fmt.Errorf("unified key %q must be a cgroup file name like \"memory.high\" (no \"/\" or \"..\")", k)
	}
	return nil
}

func setUnified(dir string, m map[string]string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var avail []string
	for _, k := range keys {
		ctrl, _, _ := strings.Cut(k, ".")
		if ctrl != "cgroup" {
			if avail == nil {
				s, err := readTrim(dir, "cgroup.controllers")
				if err != nil {
					return fmt.Errorf("unified: %w", err)
				}
				avail = append(strings.Fields(s), "") // non-nil once read
			}
			if !contains(avail, ctrl) {
				return fmt.Errorf("unified key %q: controller %q is not available for %s (cgroup.controllers: %q): %w",
					k, ctrl, dir, strings.Join(avail[:len(avail)-1], " "), ErrNotMounted)
			}
		}
		if err := writeUnified(dir, k, m[k]); err != nil {
			if notExist(err) {
				return fmt.Errorf("unified key %q: no such cgroup file: %w", k, err)
			}
			return err
		}
	}
	return nil
}

// writeUnified writes a unified value. The keyed files (io.max,
// io.weight, rdma.max, ...) take one entry a write and refuse several
// lines at once with EINVAL, so a value of several lines is written a line
// at a time, as runc does ("io.max": "8:0 riops=1\n8:16 riops=2\n").
func writeUnified(dir, key, val string) error {
	var lines []string
	for l := range strings.Lines(val) {
		if l = strings.TrimRight(l, "\n"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		return writeFile(dir, key, val)
	}
	for _, l := range lines {
		if err := writeFile(dir, key, l); err != nil {
			return err
		}
	}
	return nil
}
