package bundle

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The numbers differ between architectures (RLIMIT_NOFILE is 7 on x86 and
// arm, 5 on mips and sparc): take them from x/sys for the one we build for.
var rlimits = [...]struct {
	name string
	num  int
}{
	{"RLIMIT_CPU", unix.RLIMIT_CPU},
	{"RLIMIT_FSIZE", unix.RLIMIT_FSIZE},
	{"RLIMIT_DATA", unix.RLIMIT_DATA},
	{"RLIMIT_STACK", unix.RLIMIT_STACK},
	{"RLIMIT_CORE", unix.RLIMIT_CORE},
	{"RLIMIT_RSS", unix.RLIMIT_RSS},
	{"RLIMIT_NPROC", unix.RLIMIT_NPROC},
	{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE},
	{"RLIMIT_MEMLOCK", unix.RLIMIT_MEMLOCK},
	{"RLIMIT_AS", unix.RLIMIT_AS},
	{"RLIMIT_LOCKS", unix.RLIMIT_LOCKS},
	{"RLIMIT_SIGPENDING", unix.RLIMIT_SIGPENDING},
	{"RLIMIT_MSGQUEUE", unix.RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", unix.RLIMIT_NICE},
	{"RLIMIT_RTPRIO", unix.RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", unix.RLIMIT_RTTIME},
}

// RlimitNumber returns the resource number, for setrlimit(2), of an rlimit
// named as in getrlimit(2), e.g. "RLIMIT_NOFILE".
func RlimitNumber(name string) (int, bool) {
	for _, r := range rlimits {
		if r.name == name {
			return r.num, true
		}
	}
	return -1, false
}

func checkRlimits(list []specs.POSIXRlimit) error {
	for i, r := range list {
		if _, ok := RlimitNumber(r.Type); !ok {
			return fmt.Errorf("unknown rlimit type %q", r.Type)
		}
		for _, earlier := range list[:i] {
			if earlier.Type == r.Type {
				return fmt.Errorf("rlimit %q is listed twice", r.Type)
			}
		}
		if r.Soft > r.Hard {
			return fmt.Errorf("rlimit %s: soft limit %d is above hard limit %d", r.Type, r.Soft, r.Hard)
		}
	}
	return nil
}
