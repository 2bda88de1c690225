#!/usr/bin/env bats
# linux.netDevices (runtime-spec 1.3): host network devices moved into the
# container's network namespace, renamed when asked, with their permanent
# global addresses, MTU and hardware address, and up. This host has no
# dummy netdev module: the tests move one end of a veth pair they make
# (the other end stays on the host and shows when the pair is destroyed).
# The runtime-spec (config-linux.md, "Namespace Lifecycle and Container
# Termination") says the runtime must not move a device back on delete:
# a virtual device dies with the namespace, and the kernel itself returns
# a physical one to the host (the eql test, in the v2 guest).

load ../helpers

setup() {
	xrt_setup
	command -v ip >/dev/null || skip "ip (iproute2) is needed"
	# Short, unique names: interface names have at most 15 bytes.
	DEV=xnd$$a
	PEER=xnd$$b
	NETNS=
	ip link add "$DEV" type veth peer name "$PEER"
	ip link set "$DEV" mtu 1400 address 02:00:00:5e:00:42
	ip addr add 10.209.7.1/24 dev "$DEV"
	ip addr add 169.254.209.7/16 scope link dev "$DEV"
}

teardown() {
	xrt_teardown
	ip link del "$DEV" 2>/dev/null || true
	ip link del "$PEER" 2>/dev/null || true
	if [ -n "$NETNS" ]; then
		ip netns del "$NETNS" 2>/dev/null || true
	fi
	if [ -n "${EQL_LOADED:-}" ]; then
		rmmod eql 2>/dev/null || true # its device goes with it
	fi
}

@test "netDevices: the device moves in, renamed, with its global address, MTU and MAC, and up; it goes with the container's namespace" {
	update_config '.linux.netDevices = {($d): {"name": "ctr0"}}' --arg d "$DEV"
	set_cmd 'ip link show ctr0; ip addr show dev ctr0'
	run_in_container
	[ "$status" -eq 0 ]
	[[ "$output" == *"mtu 1400 "* ]]
	[[ "$output" == *"link/ether 02:00:00:5e:00:42 "* ]]
	[[ "$output" == *"state UP"* || "$output" == *",UP"* ]]
	[[ "$output" == *"inet 10.209.7.1/24 "* ]]
	# Only permanent addresses of global scope move.
	[[ "$output" != *"169.254.209.7"* ]]
	# Not on the host while it ran; and a virtual device is destroyed with
	# the namespace (the runtime-spec forbids moving it back): its peer too.
	refute ip link show "$DEV" 2>/dev/null
	link_gone "$PEER"
	assert_no_leftovers
}

@test "netDevices: into a network namespace joined by path, where it stays after delete" {
	NETNS=xrt-nd-$$
	ip netns add "$NETNS"
	update_config '.linux.netDevices = {($d): {}}
		| .linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		--arg d "$DEV" --arg p "/run/netns/$NETNS"
	set_cmd 'sleep 100'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	ip netns exec "$NETNS" ip -o addr show dev "$DEV" | grep -q "inet 10.209.7.1/24 "
	run xrt delete --force "$CID"
	[ "$status" -eq 0 ]
	# The namespace's owner manages it from here: still there, with its address.
	ip netns exec "$NETNS" ip -o addr show dev "$DEV" | grep -q "inet 10.209.7.1/24 "
	assert_no_leftovers
}

@test "netDevices: a kernel-chosen name from a %d template" {
	update_config '.linux.netDevices = {($d): {"name": "nd%d"}}' --arg d "$DEV"
	set_cmd 'ip link show nd0'
	run_in_container
	[ "$status" -eq 0 ]
	[[ "$output" == *"nd0"* ]]
}

@test "netDevices: a missing device, or a name the container already has, fails create and leaves the device on the host" {
	update_config '.linux.netDevices = {"xnd-missing": {}}'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"host network device "*xnd-missing*"Link not found"* ]]
	assert_no_leftovers

	update_config '.linux.netDevices = {($d): {"name": "lo"}}' --arg d "$DEV"
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"the container already has a network device named "*lo* ]]
	assert_no_leftovers
	# Untouched: on the host, with its address.
	ip -o addr show dev "$DEV" | grep -q "inet 10.209.7.1/24 "
}

@test "netDevices: without a network namespace the config is refused" {
	update_config '.linux.netDevices = {($d): {}} | .linux.namespaces -= [{"type": "network"}]' --arg d "$DEV"
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices needs a network namespace"* ]]
	ip link show "$DEV"
	assert_no_leftovers
}

# A device with no rtnl_link_ops (real hardware) is not destroyed with the
# network namespace: the kernel gives it back to the host's, under the
# name it had there. eql (the serial-line load balancer) is such a device
# that needs no hardware; Debian's 6.1 kernel in the v2 guest has it.
@test "netDevices: a physical device comes back to the host when the container's namespace dies, from the kernel, not moved by xrt" {
	[ ! -e /sys/class/net/eql ] || skip "an eql device exists already: not ours to move"
	modprobe eql 2>/dev/null && [ -e /sys/class/net/eql ] ||
		skip "needs the eql module (a netdev the kernel returns to the host, like hardware): run it in the v2 guest"
	EQL_LOADED=1
	local idx
	idx=$(cat /sys/class/net/eql/ifindex)
	update_config '.linux.netDevices = {"eql": {"name": "phy0"}}'
	set_cmd 'sleep 1000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	# In the container, renamed and up; gone from the host.
	run xrt exec "$CID" cat /sys/class/net/phy0/ifindex /sys/class/net/phy0/mtu /sys/class/net/phy0/flags
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$idx" ]
	[ "${lines[1]}" = 576 ]
	[ $((${lines[2]} & 1)) -eq 1 ] # IFF_UP
	[ ! -e /sys/class/net/eql ]
	[ ! -e /sys/class/net/phy0 ]

	run xrt delete -f "$CID"
	[ "$status" -eq 0 ]
	# The namespace died with init: the kernel returns the device (its
	# cleanup work is asynchronous), keeping the container's name for it.
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e /sys/class/net/phy0 ] && break
		sleep 0.1
	done
	[ "$(cat /sys/class/net/phy0/ifindex)" = "$idx" ]
	[ ! -e /sys/class/net/eql ]
	assert_no_leftovers
}
