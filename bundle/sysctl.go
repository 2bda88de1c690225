package bundle

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// checkSysctl accepts only the sysctls that belong to a namespace the
// container has: anything else would change the host.
func checkSysctl(sysctl map[string]string, ns *namespaces) error {
	if len(sysctl) == 0 {
		return nil
	}
	// Sorted, so that the first error is the same on every run.
	for _, key := range slices.Sorted(maps.Keys(sysctl)) {
		need, err := sysctlNamespace(key)
		if err != nil {
			return err
		}
		if !ns.has(need) {
			return fmt.Errorf(`sysctl %q needs %s namespace (add {"type": %q} to linux.namespaces)`, key, article(need), need)
		}
	}
	return nil
}

// sysctlNamespace returns the namespace that makes key private to the
// container. Keys may use "/" as the separator, as sysctl(8) allows.
func sysctlNamespace(key string) (specs.LinuxNamespaceType, error) {
	// Writes go to /proc/sys/<key>: never let ".." climb out of it.
	if key == "" || key[0] == '.' || key[0] == '/' || strings.Contains(key, "..") || strings.ContainsRune(key, 0) {
		return "", fmt.Errorf("sysctl %q is not a valid name", key)
	}
	name := strings.ReplaceAll(key, "/", ".")
	switch {
	case strings.HasPrefix(name, "net."):
		return specs.NetworkNamespace, nil
	case strings.HasPrefix(name, "fs.mqueue."):
		return specs.IPCNamespace, nil
	case name == "kernel.hostname", name == "kernel.domainname":
		return specs.UTSNamespace, nil
	}
	switch name {
	case "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced":
		return specs.IPCNamespace, nil
	}
	return "", fmt.Errorf("sysctl %q is not namespaced: refusing to set it", key)
}

func article(t specs.LinuxNamespaceType) string {
	if t == specs.IPCNamespace {
		return "an ipc"
	}
	return "a " + string(t)
}
