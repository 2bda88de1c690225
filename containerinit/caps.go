package containerinit

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
)

// capSets are the five capability sets as bit masks.
type capSets struct{ bounding, effective, permitted, inheritable, ambient uint64 }

// parseCaps turns the names into masks. A name that is unknown, or that
// this kernel does not have, is left out and returned: runc ignores them
// with a warning, and engines write lists made for newer kernels.
func parseCaps(c *specs.LinuxCapabilities) (s capSets, ignored []string) {
	if c == nil {
		return s, nil
	}
	last := lastCap()
	for _, set := range []struct {
		names []string
		bits  *uint64
	}{
		{c.Bounding, &s.bounding}, {c.Effective, &s.effective}, {c.Permitted, &s.permitted},
		{c.Inheritable, &s.inheritable}, {c.Ambient, &s.ambient},
	} {
		for _, name := range set.names {
			n, ok := bundle.CapabilityNumber(name)
			if !ok || n > last {
				if !slices.Contains(ignored, name) {
					ignored = append(ignored, name)
				}
				continue
			}
			*set.bits |= 1 << uint(n)
		}
	}
	return s, ignored
}

// lastCap is the highest capability number this kernel knows, probed
// once: parseCaps and dropBounding both need it.
var lastCap = sync.OnceValue(func() int {
	n := 0
	for ; n < 64; n++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0); err != nil {
			break
		}
	}
	return n - 1
})

// ignoredCapsWarning is runc's wording, which people grep for.
func ignoredCapsWarning(names []string) string {
	return "ignoring unknown or unavailable capabilities: [" + strings.Join(names, " ") + "]"
}

// dropBounding removes from the bounding set every capability not in keep.
// It needs CAP_SETPCAP, so it runs before the user switch.
func dropBounding(keep uint64) error {
	for c := 0; c <= lastCap(); c++ {
		if keep&(1<<uint(c)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// applyCaps sets effective, permitted, inheritable and ambient on this
// thread. An ambient capability the kernel refuses (it must also be
// permitted and inheritable) is a warning, as with runc: `runc spec` of
// runc 1.1 lists ambient capabilities without inheritable ones.
func applyCaps(s capSets, warn func(string)) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(s.effective), Permitted: uint32(s.permitted), Inheritable: uint32(s.inheritable)},
		{Effective: uint32(s.effective >> 32), Permitted: uint32(s.permitted >> 32), Inheritable: uint32(s.inheritable >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return stepError(stepWords["capset"], err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return stepError(stepWords["ambient"], err)
	}
	for c := 0; c < 64; c++ {
		if s.ambient&(1<<uint(c)) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			warn(ambientWarning(c, err))
		}
	}
	return nil
}

func ambientWarning(c int, err error) string {
	return fmt.Sprintf("can't raise ambient capability %s: %v (it must also be permitted and inheritable)", bundle.CapabilityNames[c], err)
}
