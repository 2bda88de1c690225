package containerinit

import (
	"errors"
	"fmt"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
)

// setupScheduling applies process.ioPriority, process.scheduler and
// linux.memoryPolicy to this thread, which the program inherits. It runs
// while init still has its capabilities (a real-time class needs them).
func setupScheduling(s *specs.Spec) error {
	p := s.Process
	if p.IOPriority != nil {
		prio, err := bundle.IOPriority(p.IOPriority)
		if err != nil {
			return err
		}
		const whoProcess = 1 // IOPRIO_WHO_PROCESS
		if _, _, errno := unix.RawSyscall(unix.SYS_IOPRIO_SET, whoProcess, 0, uintptr(prio)); errno != 0 {
			return fmt.Errorf("set process.ioPriority %s/%d: %w", p.IOPriority.Class, p.IOPriority.Priority, errno)
		}
	}
	if p.Scheduler != nil {
		attr, err := bundle.SchedAttr(p.Scheduler)
		if err != nil {
			return err
		}
		if err := unix.SchedSetAttr(0, attr, 0); err != nil {
			// sched_setattr(2): EPERM when the affinity mask does not
			// hold every CPU, as a cpuset makes it.
			if errors.Is(err, unix.EPERM) && cpusetCPUs(s) != "" {
				return fmt.Errorf("set process.scheduler %s: process scheduler can't be used together with AllowedCPUs (linux.resources.cpu.cpus %q): %w", p.Scheduler.Policy, cpusetCPUs(s), err)
			}
			return fmt.Errorf("set process.scheduler %s: %w", p.Scheduler.Policy, err)
		}
	}
	if s.Linux != nil && s.Linux.MemoryPolicy != nil {
		mode, nodes, err := bundle.MemoryPolicy(s.Linux.MemoryPolicy)
		if err != nil {
			return err
		}
		var ptr unsafe.Pointer
		if len(nodes) > 0 {
			ptr = unsafe.Pointer(&nodes[0])
		}
		// maxnode counts one past the bits the kernel reads.
		if _, _, errno := unix.RawSyscall(unix.SYS_SET_MEMPOLICY, uintptr(mode), uintptr(ptr), uintptr(len(nodes)*64+1)); errno != 0 {
			return fmt.Errorf("set linux.memoryPolicy %s %q: set_mempolicy: %w", s.Linux.MemoryPolicy.Mode, s.Linux.MemoryPolicy.Nodes, errno)
		}
	}
	return nil
}

func cpusetCPUs(s *specs.Spec) string {
	if s.Linux == nil || s.Linux.Resources == nil || s.Linux.Resources.CPU == nil {
		return ""
	}
	return s.Linux.Resources.CPU.Cpus
}

// setAffinity pins this thread to the CPUs of list ("0-3,8"). An empty
// list allows every CPU, which the kernel narrows to the cgroup's cpuset:
// a runtime started under taskset must not pass its own pinning on.
func setAffinity(list string) error {
	mask, _, err := bundle.ParseList(list)
	if err != nil {
		return fmt.Errorf("CPU affinity %q: %w", list, err)
	}
	var set unix.CPUSet
	for cpu := 0; cpu < len(set)*64; cpu++ {
		if list == "" || (cpu/64 < len(mask) && mask[cpu/64]&(1<<(cpu%64)) != 0) {
			set.Set(cpu)
		}
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("set CPU affinity %q: %w", list, err)
	}
	return nil
}
