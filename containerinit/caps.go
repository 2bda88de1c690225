package containerinit

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
)

// capSets are the five capability sets as bit masks.
type capSets struct{ bounding, effective, permitted, inheritable, ambient uint64 }

func parseCaps(c *specs.LinuxCapabilities) (capSets, error) {
	var s capSets
	if c == nil {
		return s, nil
	}
	for _, set := range []struct {
		names []string
		bits  *uint64
	}{
		{c.Bounding, &s.bounding}, {c.Effective, &s.effective}, {c.Permitted, &s.permitted},
		{c.Inheritable, &s.inheritable}, {c.Ambient, &s.ambient},
	} {
		for _, name := range set.names {
			n, ok := bundle.CapabilityNumber(name)
			if !ok {
				return s, fmt.Errorf("unknown capability %q", name)
			}
			*set.bits |= 1 << uint(n)
		}
	}
	return s, nil
}

// dropBounding removes from the bounding set every capability not in keep.
// It needs CAP_SETPCAP, so it runs before the user switch.
func dropBounding(keep uint64) error {
	for c := 0; c < 64; c++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err != nil {
			break // past the kernel's last capability
		}
		if keep&(1<<uint(c)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// applyCaps sets effective, permitted, inheritable and ambient on this thread.
func applyCaps(s capSets) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(s.effective), Permitted: uint32(s.permitted), Inheritable: uint32(s.inheritable)},
		{Effective: uint32(s.effective >> 32), Permitted: uint32(s.permitted >> 32), Inheritable: uint32(s.inheritable >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && err != unix.EINVAL {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	for c := 0; c < 64; c++ {
		if s.ambient&(1<<uint(c)) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			return fmt.Errorf("raise ambient capability %s (it must also be permitted and inheritable): %w", bundle.CapabilityNames[c], err)
		}
	}
	return nil
}
