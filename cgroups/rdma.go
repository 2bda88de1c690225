package cgroups

import (
	"fmt"
	"slices"
	"strings"
)

// The rdma controller: rdma.max, one "DEVICE hca_handle=N hca_object=N"
// write per device (v1 and v2 alike), in device name order.

func validateRdma(m map[string]Rdma) error {
	for dev, r := range m {
		if dev == "" || strings.ContainsAny(dev, " \t\n=/") {
			return fmt.Errorf("rdma: device name %q is not valid", dev)
		}
		if r.HcaHandles == nil && r.HcaObjects == nil {
			return fmt.Errorf("rdma %s: needs hcaHandles or hcaObjects", dev)
		}
	}
	return nil
}

func setRdma(dir string, m map[string]Rdma) error {
	if dir == "" {
		return notMounted("rdma limits", "rdma")
	}
	devs := make([]string, 0, len(m))
	for dev := range m {
		devs = append(devs, dev)
	}
	slices.Sort(devs)
	for _, dev := range devs {
		r := m[dev]
		line := dev
		if r.HcaHandles != nil {
			line += " hca_handle=" + u64(uint64(*r.HcaHandles))
		}
		if r.HcaObjects != nil {
			line += " hca_object=" + u64(uint64(*r.HcaObjects))
		}
		if err := writeFile(dir, "rdma.max", line); err != nil {
			return err
		}
	}
	return nil
}
