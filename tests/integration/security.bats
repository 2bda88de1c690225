#!/usr/bin/env bats
# The host stays safe from what runs in a container.
#
# The /proc/1/exe tests attack the runtime binary (CVE-2019-5736 style):
# while a container is in the "created" state its init is the runtime
# itself, and a second container that joins its pid namespace sees that
# process as /proc/1/exe.  They run a COPY of the binary under test, so a
# vulnerable runtime damages only the copy.

load ../helpers

setup() {
	xrt_setup
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cp "$XRT" "$BATS_TEST_TMPDIR/bin/"
	XRT=$BATS_TEST_TMPDIR/bin/$(basename "$XRT")
	XRT_SUM=$(sha256sum "$XRT" | cut -d' ' -f1)
}

binary_unchanged() {
	local now
	now=$(sha256sum "$XRT" | cut -d' ' -f1)
	if [ "$now" != "$XRT_SUM" ]; then
		echo "the runtime binary was modified from inside a container" >&2
		return 1
	fi
}

# create_victim: container A (${CID}a), created and not started; sets APID.
create_victim() {
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done'
	xrt_create "${CID}a"
	[ "$status" -eq 0 ]
	APID=$(state_field "${CID}a" pid)
}

# second_bundle_in_victim_pidns: $BUNDLE becomes a new bundle whose pid
# namespace is A's.
second_bundle_in_victim_pidns() {
	BUNDLE=$BATS_TEST_TMPDIR/attacker
	setup_bundle "$BUNDLE"
	update_config '(.linux.namespaces[] | select(.type == "pid")) .path = $p' --arg p "/proc/$APID/ns/pid"
}

@test "security: writing to /proc/1/exe (the runtime's init) from a container fails" {
	create_victim
	second_bundle_in_victim_pidns
	set_cmd 'readlink /proc/1/exe; cat /proc/1/comm
		echo x >> /proc/1/exe; echo "rc=$?"
		echo y > /proc/1/exe; echo "rc=$?"'
	CREATED_IDS+=("${CID}b")
	run xrt run --bundle "$BUNDLE" "${CID}b"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" != *"rc=0"* ]]
	if ! is_runc; then
		# xrt: the binary is either busy (executing) or read-only.
		[[ "$output" == *"Text file busy"* || "$output" == *"Read-only file system"* ]]
	fi
	binary_unchanged
	# The victim is still fine and starts.
	run xrt start "${CID}a"
	[ "$status" -eq 0 ]
	[ "$(state_field "${CID}a" status)" = running ]
}

@test "security: an fd on /proc/1/exe kept until the runtime's init is gone cannot write the binary" {
	create_victim
	second_bundle_in_victim_pidns
	set_cmd 'exec 3</proc/1/exe || { echo open-failed > /result; exit 0; }
		touch /opened
		while [ ! -e /go ]; do sleep 0.05; done
		{ echo x >> /proc/self/fd/3; echo "append=$?"; } > /result 2>&1
		{ echo x > /proc/self/fd/3; echo "trunc=$?"; } >> /result 2>&1
		true'
	xrt_run_d "${CID}b"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/opened" 5 || wait_for_file "$BUNDLE/rootfs/result" 1

	# A's init becomes the user's process: the runtime binary is no longer
	# executing in that container.
	run xrt --root "$ROOT" start "${CID}a"
	[ "$status" -eq 0 ]
	wait_for_state "${CID}a" running
	sleep 0.2

	touch "$BUNDLE/rootfs/go"
	wait_for_file "$BUNDLE/rootfs/result"
	wait_for_state "${CID}b" stopped
	cat "$BUNDLE/rootfs/result"
	binary_unchanged
	refute grep -q '=0$' "$BUNDLE/rootfs/result"
}

@test "security: the container process inherits no file descriptors but stdio" {
	# "; true" keeps sh as PID 1 (no exec of the last command): list its
	# fds.  No pipeline: sh would hold pipe fds while ls runs.
	set_cmd 'ls /proc/1/fd; true'
	CREATED_IDS+=("$CID")
	# Some extra descriptors in the runtime's caller.
	exec 7<"$BUNDLE/config.json" 8>"$BATS_TEST_TMPDIR/junk"
	run xrt run --bundle "$BUNDLE" "$CID"
	exec 7<&- 8>&-
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 1 2" ]
}

@test "security: created container: the init holds no fd into the host besides stdio and its fifo" {
	set_cmd 'true'
	create_victim
	# Every fd of the waiting init must not be a directory of the host
	# (a leaked directory fd is a way out of the rootfs).
	for fd in /proc/"$APID"/fd/*; do
		target=$(readlink "$fd") || continue
		echo "$fd -> $target"
		if [ -d "$fd" ]; then
			echo "directory fd leaked into the container's init: $target" >&2
			return 1
		fi
	done
}

@test "security: the default spec does not allow mount, the host root and state are not visible" {
	set_cmd 'mount -t tmpfs none /mnt && echo MOUNTED
		ls /run; ls -d /run/xrt-test 2>/dev/null && echo SEES-STATE
		true'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *MOUNTED* ]]
	[[ "$output" != *SEES-STATE* ]]
	grep -Eqi 'permission denied|not permitted' <<<"$output"
}

@test "security: /proc/self/exe of the container process is the container's binary" {
	set_cmd 'readlink /proc/self/exe; readlink /proc/1/exe'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /bin/busybox ]
	[ "${lines[1]}" = /bin/busybox ]
	binary_unchanged
}

@test "security: a rootfs symlink /proc -> host path is not followed for the proc mount" {
	# The proc mount destination is a symlink pointing out of the rootfs:
	# the mount must land inside the rootfs, or create must fail.
	rmdir "$BUNDLE/rootfs/proc"
	ln -s /tmp/xrt-escape-$CID "$BUNDLE/rootfs/proc"
	set_cmd 'true'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ ! -e "/tmp/xrt-escape-$CID" ] || { rmdir "/tmp/xrt-escape-$CID"; false; }
	assert_no_leftovers
}
