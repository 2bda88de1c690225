package bundle

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The process's scheduling settings: process.ioPriority, process.scheduler,
// process.execCPUAffinity and linux.memoryPolicy, checked here and turned
// into the kernel's numbers for init.

var ioprioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

// IOPriority is the ioprio_set(2) value of p (class << 13 | level).
func IOPriority(p *specs.LinuxIOPriority) (int, error) {
	class, ok := ioprioClasses[p.Class]
	if !ok {
		return 0, fmt.Errorf("invalid ioPriority.Class: %q (want IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE)", p.Class)
	}
	if p.Priority < 0 || p.Priority > 7 {
		return 0, fmt.Errorf("invalid ioPriority.Priority: %d (want 0 to 7)", p.Priority)
	}
	return class<<13 | int(p.Priority), nil
}

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
	specs.SchedISO: 4, specs.SchedIdle: 5, specs.SchedDeadline: 6,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02, specs.SchedFlagDLOverrun: 0x04,
	specs.SchedFlagKeepPolicy: 0x08, specs.SchedFlagKeepParams: 0x10,
	specs.SchedFlagUtilClampMin: 0x20, specs.SchedFlagUtilClampMax: 0x40,
}

// SchedAttr is the sched_setattr(2) argument for s.
func SchedAttr(s *specs.Scheduler) (*unix.SchedAttr, error) {
	policy, ok := schedPolicies[s.Policy]
	if !ok {
		return nil, fmt.Errorf("invalid process.scheduler.policy %q", s.Policy)
	}
	if s.Nice < -20 || s.Nice > 19 {
		return nil, fmt.Errorf("invalid process.scheduler.nice %d (want -20 to 19)", s.Nice)
	}
	if s.Priority < 0 {
		return nil, fmt.Errorf("invalid process.scheduler.priority %d", s.Priority)
	}
	a := &unix.SchedAttr{Policy: policy, Nice: s.Nice, Priority: uint32(s.Priority),
		Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period}
	for _, f := range s.Flags {
		bit, ok := schedFlags[f]
		if !ok {
			return nil, fmt.Errorf("invalid process.scheduler.flags entry %q", f)
		}
		a.Flags |= bit
	}
	return a, nil
}

var mpolModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault: 0, specs.MpolPreferred: 1, specs.MpolBind: 2, specs.MpolInterleave: 3,
	specs.MpolLocal: 4, specs.MpolPreferredMany: 5, specs.MpolWeightedInterleave: 6,
}

var mpolFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFNumaBalancing: 1 << 13, specs.MpolFRelativeNodes: 1 << 14, specs.MpolFStaticNodes: 1 << 15,
}

// maxNode bounds node and CPU numbers: the kernel's own limits are lower
// (MAX_NUMNODES, NR_CPUS), and a mask this size is 1 KiB.
const maxNode = 8192

// MemoryPolicy is the set_mempolicy(2) mode (with its flags) and node mask
// for p.
func MemoryPolicy(p *specs.LinuxMemoryPolicy) (mode int, nodes []uint64, err error) {
	mode, ok := mpolModes[p.Mode]
	if !ok {
		return 0, nil, fmt.Errorf("invalid memory policy mode %q in linux.memoryPolicy", p.Mode)
	}
	for _, f := range p.Flags {
		bit, ok := mpolFlags[f]
		if !ok {
			return 0, nil, fmt.Errorf("invalid memory policy flag %q in linux.memoryPolicy", f)
		}
		mode |= bit
	}
	nodes, n, err := ParseList(p.Nodes)
	if err != nil {
		return 0, nil, fmt.Errorf("invalid memory policy node list %q in linux.memoryPolicy: %w", p.Nodes, err)
	}
	if (p.Mode == specs.MpolDefault || p.Mode == specs.MpolLocal) && n > 0 {
		return 0, nil, fmt.Errorf("invalid memory policy: %s mode requires 0 nodes but got %d", p.Mode, n)
	}
	return mode, nodes, nil
}

// ParseList reads a list of numbers as the kernel writes them ("0-3,8")
// into a bit mask, and says how many numbers it has.
func ParseList(s string) (mask []uint64, count int, err error) {
	if strings.TrimSpace(s) == "" {
		return nil, 0, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		first, err := strconv.Atoi(lo)
		last := first
		if err == nil && isRange {
			last, err = strconv.Atoi(hi)
		}
		if err != nil || first < 0 || last < first {
			return nil, 0, fmt.Errorf("bad entry %q", part)
		}
		if last >= maxNode {
			return nil, 0, fmt.Errorf("%d is past the largest supported number, %d", last, maxNode-1)
		}
		for i := first; i <= last; i++ {
			for len(mask) <= i/64 {
				mask = append(mask, 0)
			}
			if mask[i/64]&(1<<(i%64)) == 0 {
				count++
			}
			mask[i/64] |= 1 << (i % 64)
		}
	}
	return mask, count, nil
}

func checkSchedulingSettings(s *specs.Spec) error {
	p := s.Process
	if p.IOPriority != nil {
		if _, err := IOPriority(p.IOPriority); err != nil {
			return err
		}
	}
	if p.Scheduler != nil {
		if _, err := SchedAttr(p.Scheduler); err != nil {
			return err
		}
	}
	if a := p.ExecCPUAffinity; a != nil {
		for _, l := range []struct{ name, v string }{{"initial", a.Initial}, {"final", a.Final}} {
			if _, _, err := ParseList(l.v); err != nil {
				return fmt.Errorf("invalid process.execCPUAffinity.%s %q: %w", l.name, l.v, err)
			}
		}
	}
	if s.Linux != nil && s.Linux.MemoryPolicy != nil {
		if _, _, err := MemoryPolicy(s.Linux.MemoryPolicy); err != nil {
			return err
		}
	}
	return nil
}
