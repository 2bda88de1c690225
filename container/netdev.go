package container

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// moveNetDevices moves the host network devices of linux.netDevices into
// the network namespace of init (pid), as config-linux.md asks: renamed
// when the config gives a name, with their permanent global addresses
// (a move drops addresses), MTU and hardware address (a move keeps those),
// and up. Every device is checked before any moves; a device that fails
// after it moved is moved back under its host name. They are never moved
// out again: when the namespace goes, the kernel returns physical devices
// and destroys virtual ones (the runtime-spec forbids moving them back).
func moveNetDevices(pid int, devs map[string]specs.LinuxNetDevice) error {
	if len(devs) == 0 {
		return nil
	}
	ns, err := netns.GetFromPath("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		return fmt.Errorf("netDevices: open the container's network namespace: %w", err)
	}
	defer ns.Close()
	inside, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fmt.Errorf("netDevices: netlink in the container's network namespace: %w", err)
	}
	defer inside.Close()

	names := make([]string, 0, len(devs))
	for name := range devs {
		names = append(names, name)
	}
	slices.Sort(names)
	links := make([]netlink.Link, len(names))
	for i, name := range names {
		if links[i], err = netlink.LinkByName(name); err != nil {
			return fmt.Errorf("netDevices: host network device %q: %w (is it there, in the runtime's network namespace?)", name, err)
		}
		target := containerName(name, devs[name])
		if strings.Contains(target, "%d") {
			continue // the kernel picks a free name
		}
		if _, err := inside.LinkByName(target); err == nil {
			return fmt.Errorf("netDevices: %q: the container already has a network device named %q", name, target)
		}
	}
	for i, name := range names {
		if err := moveNetDevice(inside, ns, links[i], containerName(name, devs[name])); err != nil {
			return fmt.Errorf("netDevices: %q: %w", name, err)
		}
	}
	return nil
}

func containerName(host string, d specs.LinuxNetDevice) string {
	if d.Name != "" {
		return d.Name
	}
	return host
}

// moveNetDevice moves one device in and sets it up there; on failure it
// moves the device back, under its host name.
func moveNetDevice(inside *netlink.Handle, ns netns.NsHandle, link netlink.Link, target string) error {
	host := link.Attrs().Name
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("list its addresses: %w", err)
	}
	if err := netlink.LinkSetNsFd(link, int(ns)); err != nil {
		return fmt.Errorf("move it into the container's network namespace (is it in use, or a device that cannot move?): %w", err)
	}
	moved, err := inside.LinkByName(host)
	if err != nil {
		return fmt.Errorf("find it in the container after the move: %w", err)
	}
	if err := setUpInside(inside, moved, target, addrs); err != nil {
		if back := moveBack(inside, moved, host); back != nil {
			err = errors.Join(err, back)
		}
		return err
	}
	return nil
}

func setUpInside(inside *netlink.Handle, link netlink.Link, target string, addrs []netlink.Addr) error {
	if target != link.Attrs().Name {
		if err := inside.LinkSetName(link, target); err != nil {
			return fmt.Errorf("rename it to %q in the container: %w", target, err)
		}
	}
	for _, a := range addrs {
		if a.Scope != unix.RT_SCOPE_UNIVERSE || a.Flags&unix.IFA_F_PERMANENT == 0 {
			continue
		}
		a.Label = "" // the kernel's default: the device's (new) name
		if err := inside.AddrAdd(link, &a); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("add its address %s in the container: %w", a.IPNet, err)
		}
	}
	if err := inside.LinkSetUp(link); err != nil {
		return fmt.Errorf("set it up in the container: %w", err)
	}
	return nil
}

// moveBack returns a device to our network namespace, renamed to host.
func moveBack(inside *netlink.Handle, link netlink.Link, host string) error {
	self, err := os.Open("/proc/self/ns/net")
	if err != nil {
		return fmt.Errorf("move it back: %w", err)
	}
	defer self.Close()
	if link, err = inside.LinkByIndex(link.Attrs().Index); err != nil {
		return fmt.Errorf("move it back: %w", err)
	}
	if err := inside.LinkSetDown(link); err != nil {
		return fmt.Errorf("move it back: set it down: %w", err)
	}
	if link.Attrs().Name != host {
		if err := inside.LinkSetName(link, host); err != nil {
			return fmt.Errorf("move it back: rename it to %q: %w", host, err)
		}
	}
	if err := inside.LinkSetNsFd(link, int(self.Fd())); err != nil {
		return fmt.Errorf("move it back: %w", err)
	}
	return nil
}
