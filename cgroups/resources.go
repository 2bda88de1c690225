package cgroups

import "errors"

// Resources are the limits of a cgroup, the runtime-spec's linux.resources
// in this package's own types (see cgroups/specconv). A nil pointer, nil
// slice or nil map means "leave as it is".
type Resources struct {
	Memory         *Memory
	CPU            *CPU
	Pids           *Pids
	BlockIO        *BlockIO
	HugepageLimits []HugepageLimit
	Network        *Network
	// Rdma maps a device name ("mlx5_1") to its limits.
	Rdma map[string]Rdma
	// Unified maps a cgroup v2 file name ("memory.high") to the value to
	// write, after everything else. Keys with "/" or ".." are refused, and
	// so are keys whose controller the cgroup does not have.
	Unified map[string]string
	// Devices are applied in order, on top of deny-all: the last rule that
	// matches a device and an access wins, and an access no rule matches is
	// denied. An empty list leaves the device rules as they are.
	Devices []DeviceRule
}

// Memory limits, in bytes; -1 means unlimited.
type Memory struct {
	Limit       *int64
	Reservation *int64 // soft limit: v1 memory.soft_limit_in_bytes, v2 memory.low
	// Swap is the limit of memory+swap, as in the runtime-spec and cgroup
	// v1's memsw; v2 gets memory.swap.max = Swap - Limit.
	Swap *int64
	// Kernel and KernelTCP are accepted and ignored (with a warning):
	// kernel memory limits are gone from current kernels.
	Kernel            *int64
	KernelTCP         *int64
	Swappiness        *uint64 // 0..100; v1 only
	DisableOOMKiller  *bool   // v1 only
	UseHierarchy      *bool   // v1 only; always on in v2
	CheckBeforeUpdate *bool   // refuse a Limit below the current usage
}

// CPU limits: the cpu controller and cpuset.
type CPU struct {
	Shares          *uint64 // 2..262144; v2: cpu.weight from sharesToWeight (1024 -> 100)
	Quota           *int64  // µs per period; -1 = unlimited, else >= 1000
	Burst           *uint64 // µs, <= Quota
	Period          *uint64 // µs, 1000..1000000
	RealtimeRuntime *int64  // µs, v1 only
	RealtimePeriod  *uint64 // µs, v1 only
	Cpus            string  // "0-3,7"; "" leaves it
	Mems            string  // "0-1"; "" leaves it
	Idle            *int64  // 0 or 1 (SCHED_IDLE)
}

// Pids limits the number of tasks.
type Pids struct {
	Limit *int64 // -1 = unlimited ("max"); 0 is a valid limit
}

// BlockIO limits (v1 blkio, v2 io).
type BlockIO struct {
	Weight                  *uint16 // 10..1000; v2 io.weight = 1 + (w-10)*9999/990
	LeafWeight              *uint16 // 10..1000; v1 CFQ only
	WeightDevice            []WeightDevice
	ThrottleReadBpsDevice   []ThrottleDevice
	ThrottleWriteBpsDevice  []ThrottleDevice
	ThrottleReadIOPSDevice  []ThrottleDevice
	ThrottleWriteIOPSDevice []ThrottleDevice
}

// WeightDevice is a per-device weight; at least one of the two is set.
type WeightDevice struct {
	Major, Minor int64
	Weight       *uint16
	LeafWeight   *uint16
}

// ThrottleDevice is a per-device rate (bytes or operations per second); 0
// removes the limit.
type ThrottleDevice struct {
	Major, Minor int64
	Rate         uint64
}

// HugepageLimit limits the huge pages of one size.
type HugepageLimit struct {
	PageSize string // "2MB", "1GB", "64KB"
	Limit    uint64 // bytes
}

// Network holds the v1 net_cls and net_prio settings.
type Network struct {
	ClassID    *uint32
	Priorities []InterfacePriority
}

// InterfacePriority is a net_prio priority for one interface.
type InterfacePriority struct {
	Name     string
	Priority uint32
}

// Rdma limits one RDMA device; at least one field is set.
type Rdma struct {
	HcaHandles *uint32
	HcaObjects *uint32
}

// Validate checks r without looking at the host: ranges, formats and
// combinations. Set calls it (and checks cpus and mems against the host's
// online CPUs and memory nodes) before it writes anything.
func (r *Resources) Validate() error {
	if r == nil {
		return nil
	}
	var errs []error
	if r.Memory != nil {
		errs = append(errs, validateMemory(r.Memory))
	}
	if r.CPU != nil {
		errs = append(errs, validateCPU(r.CPU))
	}
	if r.Pids != nil {
		errs = append(errs, validatePids(r.Pids))
	}
	if r.BlockIO != nil {
		errs = append(errs, validateBlockIO(r.BlockIO))
	}
	errs = append(errs, validateHugepages(r.HugepageLimits))
	if r.Network != nil {
		errs = append(errs, validateNetwork(r.Network))
	}
	errs = append(errs, validateRdma(r.Rdma), validateUnified(r.Unified), validateDevices(r.Devices))
	return errors.Join(errs...)
}

// check is what Set verifies on both versions before it writes anything:
// the values (Validate) and the cpuset against this host's CPUs and nodes.
func (r *Resources) check() error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.CPU != nil {
		return checkCpuset(r.CPU)
	}
	return nil
}
