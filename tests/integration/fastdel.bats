#!/usr/bin/env bats
# The C fast path of `xrt delete [--force]` (faststart/fastdel.c): a plain
# container (cgroupfs driver, no poststop hooks, a mount namespace, no
# image root) is deleted before the Go runtime starts, from the fastdel
# record create put in state.json; anything else goes through the Go
# delete. Either
# way nothing may be left: no state directory, no cgroup in any
# hierarchy, no process.
#
# Which path ran: the Go runtime starts threads (clone/clone3 with
# CLONE_THREAD) before main, the C path exits before it; XRT_NO_FASTPATH=1
# turns the C path off, which checks the check.

load ../helpers

setup() {
	xrt_only "xrt's own fast path"
	command -v strace >/dev/null || skip "needs strace"
	xrt_setup
	set_args sleep 1000
}

# traced_delete ARGS...: xrt ARGS under strace; $status is xrt's, and
# $threads how many threads it started (0: the C path did it all).
traced_delete() {
	local log=$BATS_TEST_TMPDIR/strace.$RANDOM
	status=0
	strace -f -qq -e trace=clone,clone3 -o "$log" \
		timeout -k 5 "$XRT_TIMEOUT" "$XRT" --root "$ROOT" "$@" </dev/null >"$log.out" 2>&1 || status=$?
	output=$(cat "$log.out")
	# strace follows timeout too: count the threads of xrt only.
	threads=$(grep -c 'CLONE_THREAD' "$log" || true)
	echo "status=$status threads=$threads output=$output"
}

# record ID: the fastdel record's lines in state.json, none when it has
# no record (there is no other file for it).
record() {
	[ ! -e "$ROOT/$1/fastdel" ]
	jq -r '.fastdel // [] | .[]' "$ROOT/$1/state.json"
}

# run_plain [ID]: run -d $BUNDLE as ID (default $CID); sets INIT (from
# --pid-file: state says 0 once init has exited).
run_plain() {
	local id=${1:-$CID}
	xrt_run_d --pid-file "$BATS_TEST_TMPDIR/$id.pid" "$id"
	[ "$status" -eq 0 ]
	INIT=$(cat "$BATS_TEST_TMPDIR/$id.pid")
	[ "$INIT" -gt 0 ]
	record "$id" | grep -qx 'xrt-fastdel 1'
}

# assert_gone [ID]: nothing of the container left, its init included.
assert_gone() {
	assert_no_leftovers "${1:-$CID}"
	wait_pid_gone "$INIT" 5
	run xrt state "${1:-$CID}"
	[ "$status" -ne 0 ]
}

@test "fastdel: delete -f of a running plain container: done in C, nothing left" {
	run_plain
	record "$CID" | grep -qx "pid $INIT"
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -eq 0 ]
	assert_gone
}

@test "fastdel: XRT_NO_FASTPATH=1 leaves it to the Go delete, with the same outcome" {
	run_plain
	XRT_NO_FASTPATH=1 traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -gt 0 ]
	assert_gone
}

@test "fastdel: delete -f also removes sub-cgroups, nested, with processes in them" {
	run_plain
	local d
	for d in $(cgroups_named "$CID"); do
		mkdir -p "$d/sub/deeper"
		# v1's cpuset starts a child empty; v2 has no cpuset files in a
		# child unless the parent enables the controller for it.
		if [ -f "$d/sub/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/sub/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/sub/cpuset.mems"
		fi
	done
	xrt_detached exec -d --cgroup sub "$CID" sleep 1000
	[ "$status" -eq 0 ]
	[ -n "$(cat $(find /sys/fs/cgroup -path "*/$CID/sub/cgroup.procs") | sort -u)" ]
	traced_delete delete --force "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -eq 0 ]
	assert_gone
}

@test "fastdel: without a PID namespace, what outlives init is killed through the cgroup" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	run_plain
	xrt_detached exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" sleep 1000
	[ "$status" -eq 0 ]
	local execd
	execd=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	kill -0 "$execd"
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -eq 0 ]
	wait_pid_gone "$execd" 5
	assert_gone
}

@test "fastdel: delete -f of a paused container thaws and deletes it, in C" {
	run_plain
	run xrt pause "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = paused ]
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -eq 0 ]
	assert_gone
}

@test "fastdel: delete (no --force) of a stopped container and of a created one, in C" {
	set_args true
	run_plain
	wait_for_state "$CID" stopped
	traced_delete delete "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -eq 0 ]
	assert_gone

	xrt_create --pid-file "$BATS_TEST_TMPDIR/c.pid" "$CID-c"
	[ "$status" -eq 0 ]
	INIT=$(cat "$BATS_TEST_TMPDIR/c.pid")
	[ "$(state_field "$CID-c" status)" = created ]
	traced_delete delete "$CID-c"
	[ "$status" -eq 0 ]
	[ "$threads" -eq 0 ]
	assert_gone "$CID-c"
}

@test "fastdel: delete -f of a container whose init already exited, in C" {
	set_args true
	run_plain
	wait_for_state "$CID" stopped
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -eq 0 ]
	assert_gone
}

@test "fastdel: delete (no --force) of a running container is refused by the Go side, which says why" {
	run_plain
	traced_delete delete "$CID"
	[ "$status" -ne 0 ]
	[ "$threads" -gt 0 ]
	[[ "$output" == *"is running"* ]]
	[ "$(state_field "$CID" status)" = running ]
	record "$CID" | grep -qx 'xrt-fastdel 1'
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -eq 0 ]
	assert_gone
}

@test "fastdel: a poststop hook: no record, the Go delete runs it" {
	update_config '.hooks.poststop = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > \($f)"]}]' \
		--arg f "$BATS_TEST_TMPDIR/poststop.json"
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	INIT=$(state_field "$CID" pid)
	[ -z "$(record "$CID")" ]
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -gt 0 ]
	[ "$(jq -r .id "$BATS_TEST_TMPDIR/poststop.json")" = "$CID" ]
	assert_gone
}

@test "fastdel: no mount namespace (host mounts): no record, the Go delete detaches them" {
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	INIT=$(state_field "$CID" pid)
	[ -z "$(record "$CID")" ]
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -gt 0 ]
	assert_gone
}

@test "fastdel: image mode: no record, the Go delete removes the root from the store" {
	[ -x "$TESTBIN/mkimage" ] || skip "tests/bin/mkimage missing: run 'make testbin'"
	"$TESTBIN/mkimage" "$BATS_TEST_TMPDIR/img" >&2
	export XRT_STORE=$BUNDLE/store
	rm -f "$BUNDLE/config.json" # image mode starts from xrt's default spec
	xrt_create --image "$BATS_TEST_TMPDIR/img" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	INIT=$(state_field "$CID" pid)
	[ -e "$XRT_STORE/containers/$CID" ]
	[ -z "$(record "$CID")" ]
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -gt 0 ]
	[ ! -e "$XRT_STORE/containers/$CID" ]
	[ -z "$(mounts_under "$XRT_STORE")" ]
	assert_gone
}

@test "fastdel: anything unexpected in the state directory leaves it all to the Go delete" {
	run_plain
	mkdir "$ROOT/$CID/extra"
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -gt 0 ]
	assert_gone
}

@test "fastdel: a record that does not parse leaves it all to the Go delete" {
	run_plain
	jq -c '.fastdel += ["hostmount /x"]' "$ROOT/$CID/state.json" >"$BATS_TEST_TMPDIR/state.json"
	mv "$BATS_TEST_TMPDIR/state.json" "$ROOT/$CID/state.json"
	record "$CID" | grep -qx 'hostmount /x'
	traced_delete delete -f "$CID"
	[ "$status" -eq 0 ]
	[ "$threads" -gt 0 ]
	assert_gone
}

@test "fastdel: a delete killed at any step is finished by the next delete -f" {
	# strace delivers SIGKILL on entry to the Nth call of a syscall: the
	# kill, the first and a middle cgroup rmdir, the two state files
	# (config.json, then state.json: `run -d` leaves no exec.fifo), and the
	# rmdir after the N cgroups (the state directory's, or a cgroup's
	# retry). N is the record's count: 10 hierarchies on v1, 1 on v2.
	local at i=0 n
	for at in pidfd_send_signal:1 rmdir:1 rmdir:mid unlinkat:1 unlinkat:2 rmdir:last; do
		i=$((i + 1))
		run_plain "$CID-$i"
		n=$(record "$CID-$i" | grep -c '^cgroup ')
		case $at in
		rmdir:mid) at=rmdir:$(((n + 2) / 2)) ;;
		rmdir:last) at=rmdir:$((n + 1)) ;;
		esac
		status=0
		strace -f -qq -o /dev/null -e trace="${at%:*}" -e inject="${at%:*}:signal=KILL:when=${at#*:}" \
			"$XRT" --root "$ROOT" delete -f "$CID-$i" </dev/null >/dev/null 2>&1 || status=$?
		echo "killed at $at: status=$status"
		[ "$status" -ne 0 ]
		traced_delete delete -f "$CID-$i"
		[ "$status" -eq 0 ]
		assert_gone "$CID-$i"
	done
}
