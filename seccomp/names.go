package seccomp

import (
	"fmt"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Filter return values. libseccomp's SCMP_ACT_* use the kernel's
// SECCOMP_RET_* encoding, so these are valid for both.
var actions = map[specs.LinuxSeccompAction]uint32{
	specs.ActKill:        unix.SECCOMP_RET_KILL_THREAD,
	specs.ActKillThread:  unix.SECCOMP_RET_KILL_THREAD,
	specs.ActKillProcess: unix.SECCOMP_RET_KILL_PROCESS,
	specs.ActTrap:        unix.SECCOMP_RET_TRAP,
	specs.ActErrno:       unix.SECCOMP_RET_ERRNO,
	specs.ActTrace:       unix.SECCOMP_RET_TRACE,
	specs.ActAllow:       unix.SECCOMP_RET_ALLOW,
	specs.ActLog:         unix.SECCOMP_RET_LOG,
	specs.ActNotify:      unix.SECCOMP_RET_USER_NOTIF,
}

// enum scmp_compare of libseccomp's seccomp.h (part of its stable ABI).
var operators = map[specs.LinuxSeccompOperator]int{
	specs.OpNotEqual:     1,
	specs.OpLessThan:     2,
	specs.OpLessEqual:    3,
	specs.OpEqualTo:      4,
	specs.OpGreaterEqual: 5,
	specs.OpGreaterThan:  6,
	specs.OpMaskedEqual:  7,
}

// The flags Compile accepts, as seccomp(2) bits.
var flags = map[specs.LinuxSeccompFlag]uint{
	"SECCOMP_FILTER_FLAG_TSYNC":            unix.SECCOMP_FILTER_FLAG_TSYNC,
	specs.LinuxSeccompFlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	specs.LinuxSeccompFlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	specs.LinuxSeccompFlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
}

// maxErrno is the largest value that fits the 16-bit data field of
// SECCOMP_RET_ERRNO and SECCOMP_RET_TRACE.
const maxErrno = 0xffff

// actionValue is the filter return value for action a. errnoRet is the
// spec's errnoRet (or defaultErrnoRet); it is only valid for ERRNO and TRACE
// and defaults to EPERM there.
func actionValue(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	v, ok := actions[a]
	if !ok {
		return 0, fmt.Errorf("unknown seccomp action %q (known: %v)", a, sortedKeys(actions))
	}
	switch a {
	case specs.ActErrno, specs.ActTrace:
		data := uint(unix.EPERM)
		if errnoRet != nil {
			data = *errnoRet
		}
		if data > maxErrno {
			return 0, fmt.Errorf("seccomp action %s: errnoRet %d is above %d", a, data, maxErrno)
		}
		return v | uint32(data), nil
	default:
		if errnoRet != nil {
			return 0, fmt.Errorf("seccomp action %s does not take an errnoRet (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do); remove errnoRet %d", a, *errnoRet)
		}
		return v, nil
	}
}

// flagBits turns linux.seccomp.flags into seccomp(2) flag bits.
func flagBits(names []specs.LinuxSeccompFlag) (uint, error) {
	var bits uint
	for _, n := range names {
		b, ok := flags[n]
		if !ok {
			return 0, fmt.Errorf("unknown seccomp flag %q (known: %v)", n, sortedKeys(flags))
		}
		bits |= b
	}
	return bits, nil
}

// Features lists what Compile accepts, for `xrt features`: the spec's names
// of the actions, argument operators, architectures and flags, sorted.
func Features() (actionNames, operatorNames, archNames, flagNames []string) {
	return sortedKeys(actions), sortedKeys(operators), supportedArchs(), sortedKeys(flags)
}

func sortedKeys[K ~string, V any](m map[K]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, string(k))
	}
	sort.Strings(out)
	return out
}
