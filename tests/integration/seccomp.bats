#!/usr/bin/env bats
# linux.seccomp: the filter is in force in the container's process and in
# exec'd ones (Seccomp: 2 in /proc/self/status), actions and errno values
# reach the process, Docker's default profile runs a normal container and
# blocks what it should, NOTIFY hands the listener to an agent with the
# container state, and bad profiles fail create clearly, leaving nothing.

load ../helpers

DOCKER_PROFILE="$BATS_TEST_DIRNAME/../../seccomp/testdata/docker-default.json"

# set_seccomp JSON: linux.seccomp = JSON.
set_seccomp() {
	update_config '.linux.seccomp = $s' --argjson s "$1"
}

@test "seccomp: Docker's default profile: the container runs, in filter mode, and unshare is refused" {
	set_seccomp "$(cat "$DOCKER_PROFILE")"
	set_cmd 'grep ^Seccomp: /proc/self/status; ls / >/dev/null && echo ls-ok; unshare -U true 2>&1; echo "unshare=$?"'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Seccomp:"*"2" ]]
	[ "${lines[1]}" = ls-ok ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *"unshare=1"* ]]
}

@test "seccomp: ERRNO with errnoRet reaches the process; other syscalls are allowed" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}'
	set_cmd 'mkdir /tmp/x; echo "mkdir=$?"; touch /tmp/y && echo touch-ok'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]] # EACCES, 13
	[[ "$output" == *"mkdir=1"* ]]
	[[ "$output" == *touch-ok* ]]
}

@test "seccomp: argument conditions: personality(0xffffffff) allowed, any other value refused" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		 "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_NE"}]}]}'
	# setarch calls personality(PER_LINUX32) first: refused.
	set_cmd 'setarch linux32 true 2>&1; echo "setarch=$?"; uname -m'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"setarch=1"* ]]
}

@test "seccomp: KILL_PROCESS ends the process with SIGSYS (exit status 159)" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	set_args mkdir /tmp/x
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 159 ]
}

@test "seccomp: an exec'd process gets the container's filter too" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_cmd 'exec sleep 100000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	run xrt exec "$CID" sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/x; echo "mkdir=$?"'
	echo "$output"
	[[ "${lines[0]}" == "Seccomp:"*"2" ]]
	[[ "$output" == *"mkdir=1"* ]]
}

@test "seccomp: with no_new_privs off, a non-root process still gets the filter" {
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	update_config '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/x; echo "mkdir=$?"'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"NoNewPrivs:"*"0"* ]]
	[[ "$output" == *"Seccomp:"*"2"* ]]
	[[ "$output" == *"mkdir=1"* ]]
}

@test "seccomp: flags LOG and SPEC_ALLOW are accepted; unknown syscall names are skipped" {
	xrt_only "runc 1.1 supports no seccomp flags"
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
		"syscalls": [{"names": ["no_such_syscall_xrt", "mkdirat", "mkdir"], "action": "SCMP_ACT_LOG"}]}'
	set_cmd 'mkdir /tmp/x && echo mkdir-ok'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = mkdir-ok ]
}

@test "seccomp: NOTIFY sends the listener and the container state to listenerPath; the agent answers" {
	[ -x "$TESTBIN/seccompagent" ] || skip "tests/bin/seccompagent missing: run 'make testbin'"
	local sock=$BATS_TEST_TMPDIR/agent.sock state=$BATS_TEST_TMPDIR/state.json
	"$TESTBIN/seccompagent" "$sock" "$state" 0 &
	BG_PIDS+=($!)
	wait_for_file "$sock"
	set_seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "'"$sock"'", "listenerMetadata": "xrt-meta",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	# The agent says yes without making the directory.
	set_cmd 'mkdir /tmp/notified && echo mkdir-ok; ls -d /tmp/notified 2>&1; true'
	run xrt run -b "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = mkdir-ok ]
	[[ "${lines[1]}" == *"No such file"* ]]
	cat "$state"
	[ "$(jq -r .metadata "$state")" = xrt-meta ]
	[ "$(jq -r '.fds[0]' "$state")" = seccompFd ]
	[ "$(jq -r .state.id "$state")" = "$CID" ]
	[ "$(jq -r .pid "$state")" -gt 0 ]
}

@test "seccomp: bad profiles fail create clearly and leave nothing" {
	xrt_only "checks xrt's messages"
	local bad
	for bad in \
		'{"defaultAction": "SCMP_ACT_NOPE"}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_WHAT"}]}]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_NOPE"]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]}' \
		'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'; do
		set_seccomp "$bad"
		xrt_create "$CID"
		echo "$bad: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *seccomp* ]]
		assert_no_leftovers
	done
}
