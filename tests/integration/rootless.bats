#!/usr/bin/env bats
# Rootless: xrt run by an unprivileged user (nobody, via setpriv) with the
# config of `xrt spec --rootless`: a user namespace mapping the user to
# root, state under $XDG_RUNTIME_DIR/xrt, no cgroup unless one is
# delegated, devices bind-mounted from the host, and the binary sealed
# even when the user owns it.

load ../helpers

RUSER=65534

setup() {
	xrt_setup
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is needed"
	XDG=$BATS_TEST_TMPDIR/xdg
	mkdir -p "$XDG"
	chown "$RUSER" "$XDG"
	# Teardown deletes (as root) whatever this user left in its state root;
	# the one xrt_setup made for root is not used.
	rmdir "$ROOT"
	ROOT=$XDG/xrt
	open_path_to "$BUNDLE"
	chown "$RUSER" "$BUNDLE"
	rm -f "$BUNDLE/config.json"
	as_user "$XRT" spec --rootless -b "$BUNDLE"
	update_config '.process.terminal = false'
}

# as_user CMD...: run CMD as the unprivileged user, with its XDG_RUNTIME_DIR.
as_user() {
	timeout -k 5 "$XRT_TIMEOUT" setpriv --reuid="$RUSER" --regid="$RUSER" --clear-groups \
		env XDG_RUNTIME_DIR="$XDG" "$@"
}

@test "rootless: the container runs as root of its user namespace, state in \$XDG_RUNTIME_DIR/xrt, no cgroup" {
	set_cmd 'id -u; cat /proc/self/uid_map; grep -E " /dev/(null|tty) " /proc/self/mountinfo | cut -d" " -f5; echo x > /dev/null && echo null-ok'
	run as_user "$XRT" run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	grep -Eq "^ *0 +$RUSER +1$" <<<"${lines[1]}"
	# Devices cannot be created in a user namespace: they are host binds.
	[ "${lines[2]}" = /dev/null ]
	[ "${lines[3]}" = /dev/tty ]
	[ "${lines[4]}" = null-ok ]
	[ -z "$(cgroups_named "$CID")" ]
}

@test "rootless: create, state, exec, kill and delete by the user" {
	set_cmd 'exec sleep 100000'
	# The container keeps create's stdio: a file, not the pipe bats reads.
	as_user "$XRT" create -b "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/create.log" 2>&1 || { cat "$BATS_TEST_TMPDIR/create.log"; false; }
	[ -d "$XDG/xrt/$CID" ]
	run as_user "$XRT" start "$CID"
	[ "$status" -eq 0 ]
	run as_user "$XRT" state "$CID"
	[ "$(jq -r .status <<<"$output")" = running ]
	run as_user "$XRT" list -f json
	[ "$(jq -r '.[0].owner' <<<"$output")" = nobody ]
	run as_user "$XRT" exec "$CID" id -u
	[ "$output" = 0 ]
	run as_user "$XRT" kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	run as_user "$XRT" delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "rootless: a binary the user owns runs from a sealed copy, which the container cannot write" {
	cp "$XRT" "$BATS_TEST_TMPDIR/xrt-own"
	chown "$RUSER" "$BATS_TEST_TMPDIR/xrt-own"
	set_cmd 'exec sleep 100000'
	as_user "$BATS_TEST_TMPDIR/xrt-own" create -b "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/create.log" 2>&1 || { cat "$BATS_TEST_TMPDIR/create.log"; false; }
	local pid
	pid=$(jq -r .pid <"$XDG/xrt/$CID/state.json")
	[[ "$(readlink "/proc/$pid/exe")" == "/memfd:xrt"* ]]
	# The init's exe is the sealed copy: no write, even by its owner.
	run as_user sh -c "echo x >> /proc/$pid/exe"
	echo "$output"
	[ "$status" -ne 0 ]
	cmp "$XRT" "$BATS_TEST_TMPDIR/xrt-own"
	run as_user "$BATS_TEST_TMPDIR/xrt-own" delete -f "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$XDG/xrt/$CID" ]
}

@test "rootless: delete --force with the default root removes the container (the C fast path and Go agree on the root)" {
	set_cmd 'exec sleep 100000'
	as_user "$XRT" create -b "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/create.log" 2>&1 || { cat "$BATS_TEST_TMPDIR/create.log"; false; }
	[ -d "$XDG/xrt/$CID" ]
	# Once while it runs (Go), once when it is gone (the fast path).
	run as_user "$XRT" delete --force "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$XDG/xrt/$CID" ]
	run as_user "$XRT" delete --force "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$XDG/xrt/$CID" ]
	assert_no_leftovers
}

@test "rootless: resource limits without a delegated cgroup fail clearly and leave nothing" {
	[ -w /sys/fs/cgroup/memory ] && [ "$(stat -c %u /sys/fs/cgroup/memory)" = "$RUSER" ] && skip "a cgroup is delegated to the user"
	update_config '.linux.resources = {"memory": {"limit": 67108864}}'
	run as_user "$XRT" create -b "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources needs a cgroup"* ]]
	assert_no_leftovers
}
