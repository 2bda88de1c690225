package cgroups

import (
	"fmt"
	"path"
	"strings"
)

// DefaultParent is the cgroup under which xrt places containers whose
// linux.cgroupsPath is empty or relative.
const DefaultParent = "/xrt"

// PathFor resolves the config's linux.cgroupsPath for container id into the
// path New takes, relative to each hierarchy's mount point:
//
//   - empty: DefaultParent + "/" + id, e.g. "/xrt/abc";
//   - absolute ("/docker/abc", what dockerd, containerd and kubelet pass
//     with the cgroupfs driver): as is, cleaned;
//   - relative ("web/abc"): under DefaultParent, "/xrt/web/abc". runc
//     instead nests a relative path under the cgroup of the runtime
//     process itself; xrt does not, because that cgroup is whoever
//     launched xrt (a shim, a shell's session scope) and differs from one
//     v1 hierarchy to the next, so the same value would not always name
//     the same place.
//
// A path with a ".." element, or one that names the root cgroup, is an
// error, and so is an empty or path-like id when the default is used.
func PathFor(cgroupsPath, id string) (string, error) {
	if cgroupsPath == "" {
		if id == "" || id == "." || id == ".." || strings.ContainsRune(id, '/') {
			return "", fmt.Errorf("cgroups: container id %q cannot name a cgroup", id)
		}
		return DefaultParent + "/" + id, nil
	}
	for elem := range strings.SplitSeq(cgroupsPath, "/") {
		if elem == ".." {
			return "", fmt.Errorf("cgroupsPath %q must not contain \"..\"", cgroupsPath)
		}
	}
	var p string
	if cgroupsPath[0] == '/' {
		p = path.Clean(cgroupsPath)
	} else {
		p = path.Clean(DefaultParent + "/" + cgroupsPath)
	}
	if p == "/" || p == DefaultParent && cgroupsPath[0] != '/' {
		return "", fmt.Errorf("cgroupsPath %q names the root (or xrt's parent) cgroup, not a container's", cgroupsPath)
	}
	return p, nil
}

// checkPath accepts the absolute, clean, non-root paths PathFor returns.
func checkPath(p string) error {
	if p == "" || p[0] != '/' || path.Clean(p) != p || p == "/" {
		return fmt.Errorf("cgroups: path %q must be absolute, clean and not the root", p)
	}
	for elem := range strings.SplitSeq(p, "/") {
		if elem == ".." {
			return fmt.Errorf("cgroups: path %q must not contain \"..\"", p)
		}
	}
	return nil
}
