#!/usr/bin/env bats
# Namespaces: new ones, joined ones (by path), what the container sees.

load ../helpers

ALL_NS='[{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]'

# ns_from_output TYPE: the "TYPE:[N]" line the container printed.
ns_from_output() {
	grep -o "^$1:\[[0-9]*\]" <<<"$output"
}

@test "namespaces: pid, mnt, uts, ipc, net and cgroup differ from the host's" {
	update_config '.linux.namespaces = $ns' --argjson ns "$ALL_NS"
	set_cmd 'for n in pid mnt uts ipc net cgroup user; do readlink /proc/self/ns/$n; done'
	run_in_container
	[ "$status" -eq 0 ]
	for n in pid mnt uts ipc net cgroup; do
		inside=$(ns_from_output "$n")
		[ -n "$inside" ]
		[ "$inside" != "$(host_ns "$n")" ]
	done
	# Not asked for: the user namespace is the host's.
	[ "$(ns_from_output user)" = "$(host_ns user)" ]
}

@test "namespaces: a namespace not listed is shared with the host" {
	update_config '.linux.namespaces = [{"type":"mount"},{"type":"pid"}] | del(.hostname)'
	set_cmd 'for n in net uts ipc; do readlink /proc/self/ns/$n; done'
	run_in_container
	[ "$status" -eq 0 ]
	for n in net uts ipc; do
		[ "$(ns_from_output "$n")" = "$(host_ns "$n")" ]
	done
}

# root_prop: the optional fields (propagation) of the host's / mount.
root_prop() { awk '$5 == "/" {for (i = 7; $i != "-"; i++) printf "%s ", $i; exit}' /proc/self/mountinfo; }

@test "namespaces: without a mount namespace the config's mounts are made under the rootfs on the host, and delete detaches them" {
	update_config '.linux.namespaces -= [{"type":"mount"}]'
	set_cmd 'grep -c " /proc " /proc/self/mountinfo; ls /dev/null; sleep 100'
	before=$(root_prop)
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$DETACHED_LOG"
	# The container sees its /proc and /dev; the host sees them under the
	# rootfs, on a private bind that does not reach the host's peers.
	m=$(mounts_under "$BUNDLE/rootfs")
	echo "$m"
	grep -qx "$BUNDLE/rootfs/proc" <<<"$m"
	grep -qx "$BUNDLE/rootfs/dev" <<<"$m"
	[ "$(awk -v d="$BUNDLE/rootfs" '$5 == d' /proc/self/mountinfo | grep -c shared:)" -eq 0 ]
	# The host's root keeps its propagation (runc would make it rslave).
	[ "$(root_prop)" = "$before" ]
	# exec joins no mount namespace: it is rooted in the rootfs too.
	echo in-rootfs >"$BUNDLE/rootfs/xrt-marker"
	run xrt exec "$CID" cat /xrt-marker
	[ "$status" -eq 0 ]
	[ "$output" = in-rootfs ]
	run xrt delete --force "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "namespaces: without a mount namespace a terminal works, and a failed create leaves no mount" {
	update_config '.linux.namespaces -= [{"type":"mount"}] | .process.terminal = true'
	set_cmd 'tty'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == /dev/pts/* ]]
	assert_no_leftovers
	# A mount that fails after the first ones were made.
	update_config '.process.terminal = false
		| .mounts += [{"destination": "/mnt", "type": "bind", "source": "/nonexistent-xrt-src", "options": ["bind"]}]'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent-xrt-src"* ]]
	assert_no_leftovers
}

@test "namespaces: without a mount namespace delete detaches only what the container mounted, not the rootfs mount an engine made" {
	# An engine's rootfs is often a mount of its own (containerd's overlay).
	mount --bind "$BUNDLE/rootfs" "$BUNDLE/rootfs"
	HOST_MOUNTS+=("$BUNDLE/rootfs")
	update_config '.linux.namespaces -= [{"type":"mount"}]'
	set_cmd 'true'
	run xrt run -b "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# The engine's mount is still there, with nothing on it.
	[ "$(mounts_under "$BUNDLE/rootfs")" = "$BUNDLE/rootfs" ]
	[ "$(awk -v d="$BUNDLE/rootfs" '$5 == d' /proc/self/mountinfo | wc -l)" -eq 1 ]
}

@test "namespaces: the process is PID 1 and sees only its own pid namespace" {
	set_cmd 'echo "pid=$$"; cat /proc/1/cmdline | tr "\0" " "; echo; ls -d /proc/[0-9]* | wc -l'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pid=1" ]
	[[ "${lines[1]}" == "sh -c "* ]]
	# sh, ls and wc (and maybe tr's leftovers): a handful, not the host's.
	[ "${lines[2]}" -le 5 ]
}

@test "namespaces: cgroup namespace hides the host cgroup path" {
	update_config '.linux.namespaces = $ns' --argjson ns "$ALL_NS"
	set_cmd 'cat /proc/self/cgroup'
	run_in_container
	[ "$status" -eq 0 ]
	# Every hierarchy's path is the namespace root.
	while IFS= read -r l; do
		[ "${l##*:}" = / ]
	done <<<"$output"
}

@test "namespaces: join a network namespace by path" {
	nsfile=$BATS_TEST_TMPDIR/netns
	make_netns "$nsfile"
	want=$(ns_inode "$nsfile")
	[ "$want" != "$(host_ns_inode net)" ]
	update_config '(.linux.namespaces[] | select(.type == "network")) .path = $p' --arg p "$nsfile"
	set_cmd 'readlink /proc/self/ns/net'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(ns_from_output net)" = "net:[$want]" ]
}

@test "namespaces: join another container's uts and ipc namespaces via /proc/PID/ns" {
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done'
	update_config '.hostname = "first"'
	xrt_create "${CID}a"
	[ "$status" -eq 0 ]
	pid=$(state_field "${CID}a" pid)

	BUNDLE=$BATS_TEST_TMPDIR/second
	setup_bundle "$BUNDLE"
	update_config 'del(.hostname)
		| (.linux.namespaces[] | select(.type == "uts")) .path = $uts
		| (.linux.namespaces[] | select(.type == "ipc")) .path = $ipc' \
		--arg uts "/proc/$pid/ns/uts" --arg ipc "/proc/$pid/ns/ipc"
	set_cmd 'hostname; readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = first ]
	[ "$(ns_from_output uts)" = "uts:[$(ns_inode "/proc/$pid/ns/uts")]" ]
	[ "$(ns_from_output ipc)" = "ipc:[$(ns_inode "/proc/$pid/ns/ipc")]" ]
}

@test "namespaces: uts namespace gets the configured hostname, the host keeps its own" {
	host_before=$(hostname)
	update_config '.hostname = "box-under-test"'
	set_cmd 'hostname; cat /proc/sys/kernel/hostname'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = box-under-test ]
	[ "${lines[1]}" = box-under-test ]
	[ "$(hostname)" = "$host_before" ]
}

@test "namespaces: time namespace applies linux.timeOffsets" {
	xrt_only "runc 1.1 does not support time namespaces"
	update_config '.linux.namespaces += [{"type":"time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 864000, "nanosecs": 0},
		                        "boottime": {"secs": 1728000, "nanosecs": 0}}'
	set_cmd 'readlink /proc/self/ns/time; cat /proc/self/timens_offsets; cut -d" " -f1 /proc/uptime'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(ns_from_output time)" != "$(host_ns time)" ]
	grep -Eq '^monotonic +864000 +0$' <<<"$output"
	grep -Eq '^boottime +1728000 +0$' <<<"$output"
	# /proc/uptime is boottime based: the host's plus 20 days.
	up_in=$(tail -n1 <<<"$output")
	up_host=$(cut -d' ' -f1 /proc/uptime)
	((${up_in%.*} >= ${up_host%.*} + 1728000 - 5))
	((${up_in%.*} <= ${up_host%.*} + 1728000 + 5))
}

@test "namespaces: user namespace with uid/gid mappings" {
	update_config '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	open_path_to "$BUNDLE"
	set_cmd 'readlink /proc/self/ns/user; cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; id -g; touch /tmp/made-inside'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(ns_from_output user)" != "$(host_ns user)" ]
	grep -Eq '^ *0 +100000 +65536$' <<<"${lines[1]}"
	grep -Eq '^ *0 +100000 +65536$' <<<"${lines[2]}"
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" = 0 ]
	# Container root is host uid/gid 100000.
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/made-inside")" = 100000:100000 ]
}

# The new network namespace is made by create, on a thread of its own,
# while it does its other work (container/netns.go); init joins it.

@test "namespaces: a new network namespace is made ahead of init: each container's own, lo up, no descriptor of it left in the container" {
	set_args sleep 1000
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	xrt_create "$CID-2"
	[ "$status" -eq 0 ]
	a=$(state_field "$CID" pid)
	b=$(state_field "$CID-2" pid)
	[ "$(readlink "/proc/$a/ns/net")" != "$(host_ns net)" ]
	[ "$(readlink "/proc/$b/ns/net")" != "$(host_ns net)" ]
	[ "$(readlink "/proc/$a/ns/net")" != "$(readlink "/proc/$b/ns/net")" ]
	# Only lo, and up (IFF_UP|IFF_LOOPBACK).
	run xrt exec "$CID" sh -c 'ls /sys/class/net; cat /sys/class/net/lo/flags'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'lo\n0x9')" ]
	# init holds no descriptor of a namespace, before and after start.
	[ -z "$(ls -l "/proc/$a/fd" | grep 'net:\[')" ]
	run xrt start "$CID"
	[ "$status" -eq 0 ]
	[ -z "$(ls -l "/proc/$a/fd" | grep 'net:\[')" ]
	# The log says whose namespace init joined.
	log=$BATS_TEST_TMPDIR/create.log
	xrt_detached --debug --log "$log" create --bundle "$BUNDLE" "$CID-3"
	CREATED_IDS+=("$CID-3")
	[ "$status" -eq 0 ]
	grep -q 'init joins the network namespace made ahead for it' "$log"
}

@test "namespaces: with a user namespace, init makes the network namespace in it, and root there may configure it" {
	update_config '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN"])'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	open_path_to "$BUNDLE"
	# CAP_NET_ADMIN counts over a network namespace owned by the container's user namespace.
	set_cmd 'ifconfig lo down && cat /sys/class/net/lo/flags && ifconfig lo up && cat /sys/class/net/lo/flags'
	log=$BATS_TEST_TMPDIR/run.log
	CREATED_IDS+=("$CID")
	run xrt --debug --log "$log" run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0x8\n0x9')" ]
	[ -z "$(grep 'made ahead' "$log")" ]
}
