package cgroups

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Device access rules.
//
// The rules apply in order on top of deny-all: for each device and each
// kind of access (read, write, mknod), the last rule that matches wins,
// and an access no rule matches is denied. A list that starts with "deny
// all" (what runtime-spec configs do) therefore behaves as written, and so
// does one that starts with "allow all" and denies some devices after.
//
// v1: devices.deny "a", then each rule to devices.allow or devices.deny in
// order (the kernel's exception list gives the same last-match semantics).
// v1 treats any rule of type "a" as "everything"; a type-a rule narrowed
// to some device numbers or accesses is written as a "b" and a "c" rule.
// v2: an eBPF BPF_PROG_TYPE_CGROUP_DEVICE program compiled from the rules
// (devices_bpf.go), attached to the cgroup with BPF_F_ALLOW_MULTI; a
// previous xrt program on the same cgroup is detached after the new one is
// in place, so that a running container is never less restricted than
// either rule set.

// DeviceRule is one device cgroup rule.
type DeviceRule struct {
	Allow bool
	// Type is "a" (all devices), "b" (block) or "c" (char); "" means "a".
	Type string
	// Major and Minor are the device numbers; -1 matches any.
	Major, Minor int64
	// Access is a combination of "r", "w" and "m"; "" means "rwm".
	Access string
}

func validateDevices(rules []DeviceRule) error {
	for _, r := range rules {
		if err := r.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (r *DeviceRule) validate() error {
	switch r.Type {
	case "", "a", "b", "c":
	default:
		return fmt.Errorf("device rule: type %q must be a, b or c", r.Type)
	}
	for _, c := range r.Access {
		if c != 'r' && c != 'w' && c != 'm' {
			return fmt.Errorf("device rule: access %q must be a combination of r, w and m", r.Access)
		}
	}
	for _, n := range []struct {
		what string
		v    int64
	}{{"major", r.Major}, {"minor", r.Minor}} {
		if n.v < -1 || n.v > 0xffffffff {
			return fmt.Errorf("device rule: %s %d must be -1 (any) or 0..4294967295", n.what, n.v)
		}
	}
	return nil
}

func (r *DeviceRule) typ() byte {
	if r.Type == "" {
		return 'a'
	}
	return r.Type[0]
}

// access is the rule's access as bits: m=1, r=2, w=4 (the kernel's
// BPF_DEVCG_ACC_* values).
func (r *DeviceRule) access() uint32 {
	if r.Access == "" {
		return accMknod | accRead | accWrite
	}
	var a uint32
	for _, c := range r.Access {
		switch c {
		case 'm':
			a |= accMknod
		case 'r':
			a |= accRead
		case 'w':
			a |= accWrite
		}
	}
	return a
}

const (
	accMknod = 1
	accRead  = 2
	accWrite = 4
)

func accessString(a uint32) string {
	var b strings.Builder
	if a&accRead != 0 {
		b.WriteByte('r')
	}
	if a&accWrite != 0 {
		b.WriteByte('w')
	}
	if a&accMknod != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

func devNum(n int64) string {
	if n == -1 {
		return "*"
	}
	return i64(n)
}

// v1Lines renders the rule for devices.allow or devices.deny.
func (r *DeviceRule) v1Lines() []string {
	acc := r.access()
	t := r.typ()
	if t == 'a' {
		if r.Major == -1 && r.Minor == -1 && acc == accMknod|accRead|accWrite {
			return []string{"a"}
		}
		nums := " " + devNum(r.Major) + ":" + devNum(r.Minor) + " " + accessString(acc)
		return []string{"b" + nums, "c" + nums}
	}
	return []string{string(t) + " " + devNum(r.Major) + ":" + devNum(r.Minor) + " " + accessString(acc)}
}

func setDevicesV1(dir string, rules []DeviceRule) error {
	if dir == "" {
		return notMounted("device rules", "devices")
	}
	files := &ruleFiles{dir: dir, allow: -1, deny: -1}
	defer files.close()
	if err := files.write("devices.deny", "a"); err != nil {
		return err
	}
	for i := range rules {
		file := "devices.deny"
		if rules[i].Allow {
			file = "devices.allow"
		}
		for _, line := range rules[i].v1Lines() {
			if err := files.write(file, line); err != nil {
				return err
			}
		}
	}
	return nil
}

// ruleFiles writes a v1 cgroup's device rules, one write(2) per rule (the
// kernel parses each write as one), through devices.allow and
// devices.deny each opened once: a container's default rules are a dozen.
type ruleFiles struct {
	dir         string
	allow, deny int // -1: not open yet
}

func (r *ruleFiles) write(file, value string) error {
	fd := &r.deny
	if file == "devices.allow" {
		fd = &r.allow
	}
	p := r.dir + "/" + file
	if traceWrite != nil {
		traceWrite(p, value)
	}
	if *fd < 0 {
		f, err := openRetry(p, unix.O_WRONLY|unix.O_CLOEXEC)
		if err != nil {
			return setError(file, value, &os.PathError{Op: "open", Path: p, Err: err})
		}
		*fd = f
	}
	if err := writeAll(*fd, value); err != nil {
		return setError(file, value, &os.PathError{Op: "write", Path: p, Err: err})
	}
	return nil
}

func (r *ruleFiles) close() {
	for _, fd := range []int{r.allow, r.deny} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}
