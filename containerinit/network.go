package containerinit

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/vishvananda/netlink"

	"xrt/bundle"
)

// setupLoopback brings up lo in a network namespace of the container's
// own, as runc does: a new namespace has it down, and the container's
// /etc/hosts names 127.0.0.1 localhost. A joined namespace is left alone.
func setupLoopback(s *specs.Spec) error {
	if !bundle.HasNewNamespace(s, specs.NetworkNamespace) {
		return nil
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("network: find the loopback device: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("network: bring up lo: %w", err)
	}
	return nil
}
