package cgroups

import (
	"fmt"
	"strings"
)

// SystemdUnit names the unit of a container under the systemd driver: the
// unit itself ("xrt-abc.scope", or a slice when the name asks for one) and
// the slice it goes in ("system.slice").
type SystemdUnit struct {
	Slice string
	Unit  string
}

// IsSlice reports whether the container's unit is a slice, not a scope.
func (u SystemdUnit) IsSlice() bool { return strings.HasSuffix(u.Unit, ".slice") }

// DefaultSlice is the slice of a container whose cgroupsPath is empty, or
// whose slice field is: "system.slice" for the system manager,
// "user.slice" for a user's manager (rootless). DefaultScopePrefix is the
// prefix of its scope.
const (
	DefaultSlice       = "system.slice"
	DefaultUserSlice   = "user.slice"
	DefaultScopePrefix = "xrt"
)

// ParseSystemdPath resolves linux.cgroupsPath under the systemd driver,
// with runc's rules:
//
//   - empty: slice DefaultSlice (DefaultUserSlice when user), scope
//     "xrt-<id>.scope";
//   - "slice:prefix:name": exactly three fields; an empty slice is the
//     default one; the unit is "prefix-name.scope" ("name.scope" with no
//     prefix), or "name" itself when it ends in ".slice" (the container
//     gets a slice of its own, nested by its name: "a-b.slice" is under
//     "a.slice").
//
// The slice must be a valid slice name ("-.slice" is the root slice).
func ParseSystemdPath(cgroupsPath, id string, user bool) (SystemdUnit, error) {
	slice := DefaultSlice
	if user {
		slice = DefaultUserSlice
	}
	if cgroupsPath == "" {
		u := SystemdUnit{Slice: slice, Unit: DefaultScopePrefix + "-" + id + ".scope"}
		if err := checkUnitName(u.Unit); err != nil {
			return SystemdUnit{}, fmt.Errorf("cgroups: container id %q cannot name a systemd unit: %w", id, err)
		}
		return u, nil
	}
	parts := strings.Split(cgroupsPath, ":")
	if len(parts) != 3 {
		return SystemdUnit{}, fmt.Errorf("cgroupsPath %q: the systemd cgroup driver wants \"slice:prefix:name\" (e.g. \"system.slice:docker:abc\"); drop --systemd-cgroup to use a cgroupfs path", cgroupsPath)
	}
	if parts[0] != "" {
		slice = parts[0]
	}
	if _, err := ExpandSlice(slice); err != nil {
		return SystemdUnit{}, fmt.Errorf("cgroupsPath %q: %w", cgroupsPath, err)
	}
	prefix, name := parts[1], parts[2]
	if name == "" {
		return SystemdUnit{}, fmt.Errorf("cgroupsPath %q: the name (third field of \"slice:prefix:name\") is empty", cgroupsPath)
	}
	u := SystemdUnit{Slice: slice}
	switch {
	case strings.HasSuffix(name, ".slice"):
		if _, err := ExpandSlice(name); err != nil {
			return SystemdUnit{}, fmt.Errorf("cgroupsPath %q: %w", cgroupsPath, err)
		}
		u.Unit = name
	case prefix == "":
		u.Unit = name + ".scope"
	default:
		u.Unit = prefix + "-" + name + ".scope"
	}
	if err := checkUnitName(u.Unit); err != nil {
		return SystemdUnit{}, fmt.Errorf("cgroupsPath %q: %w", cgroupsPath, err)
	}
	return u, nil
}

// ExpandSlice turns a slice name into its cgroup path, as systemd lays
// slices out: "-.slice" is "/", "a-b-c.slice" is
// "/a.slice/a-b.slice/a-b-c.slice".
func ExpandSlice(slice string) (string, error) {
	const suffix = ".slice"
	base, ok := strings.CutSuffix(slice, suffix)
	if !ok || base == "" {
		return "", fmt.Errorf("%q is not a systemd slice: a slice name ends in %q (e.g. \"system.slice\", \"machine-web.slice\")", slice, suffix)
	}
	if slice == "-.slice" {
		return "/", nil
	}
	if err := checkUnitName(slice); err != nil {
		return "", err
	}
	if strings.HasPrefix(base, "-") || strings.HasSuffix(base, "-") || strings.Contains(base, "--") {
		return "", fmt.Errorf("slice %q: a slice name must not start or end with \"-\" nor hold \"--\" (each \"-\" nests it in a parent slice)", slice)
	}
	var b strings.Builder
	prefix := ""
	for part := range strings.SplitSeq(base, "-") {
		b.WriteString("/" + prefix + part + suffix)
		prefix += part + "-"
	}
	return b.String(), nil
}

// checkUnitName refuses what systemd refuses in a unit name: characters
// outside [A-Za-z0-9:_.\-@], a name longer than 255 bytes, or one that
// starts with a dot.
func checkUnitName(name string) error {
	if len(name) > 255 {
		return fmt.Errorf("unit name %q is longer than systemd's 255 characters", name)
	}
	if strings.HasPrefix(name, ".") {
		return fmt.Errorf("unit name %q must not start with \".\"", name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":_.-@", r)
		if !ok {
			return fmt.Errorf("unit name %q holds %q, which systemd does not allow (only letters, digits and \":_.-@\")", name, r)
		}
	}
	return nil
}

// systemdCgroupPath is where the system manager puts unit u: the slice's
// path, then the unit. A user manager nests it under its own cgroup: ask
// systemd (ControlGroup) instead.
func systemdCgroupPath(u SystemdUnit) string {
	if u.IsSlice() {
		p, _ := ExpandSlice(u.Unit)
		return p
	}
	p, _ := ExpandSlice(u.Slice)
	if p == "/" {
		return "/" + u.Unit
	}
	return p + "/" + u.Unit
}
