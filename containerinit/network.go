package containerinit

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"xrt/bundle"
)

// setupLoopback brings up lo in a network namespace of the container's
// own, as runc does: a new namespace has it down, and the container's
// /etc/hosts names 127.0.0.1 localhost. A joined namespace is left alone.
func setupLoopback(s *specs.Spec) error {
	if !bundle.HasNewNamespace(s, specs.NetworkNamespace) {
		return nil
	}
	return LoopbackUp()
}

// LoopbackUp brings up lo in the calling thread's network namespace, if it
// is down. Two ioctls on a socket of the namespace do it: a netlink handle
// costs a dump of the links and more than both.
func LoopbackUp() error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("network: bring up lo: socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("network: find the loopback device: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("network: find the loopback device: %w", err)
	}
	if ifr.Uint16()&unix.IFF_UP != 0 {
		return nil
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("network: bring up lo: %w", err)
	}
	return nil
}
