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
