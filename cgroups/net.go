package cgroups

import (
	"errors"
	"fmt"
	"strings"
)

// The v1 net_cls (net_cls.classid) and net_prio (net_prio.ifpriomap, one
// "IFNAME PRIORITY" write per interface) controllers. cgroup v2 has
// neither: asking for them there is an error, and so is asking for them on
// a v1 host that does not mount them.

func validateNetwork(n *Network) error {
	for _, p := range n.Priorities {
		if p.Name == "" || strings.ContainsAny(p.Name, " \t\n/") {
			return fmt.Errorf("network priority: interface name %q is not valid", p.Name)
		}
	}
	return nil
}

func setNetworkV1(clsDir, prioDir string, n *Network) error {
	if n.ClassID != nil {
		if clsDir == "" {
			return notMounted("network classID", "net_cls")
		}
		if err := writeFile(clsDir, "net_cls.classid", u64(uint64(*n.ClassID))); err != nil {
			return err
		}
	}
	if len(n.Priorities) > 0 && prioDir == "" {
		return notMounted("network priorities", "net_prio")
	}
	var errs []error
	for _, p := range n.Priorities {
		errs = append(errs, writeFile(prioDir, "net_prio.ifpriomap", p.Name+" "+u64(uint64(p.Priority))))
	}
	return errors.Join(errs...)
}
