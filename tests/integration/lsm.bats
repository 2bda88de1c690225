#!/usr/bin/env bats
# Linux security modules: process.apparmorProfile and process.selinuxLabel
# (and exec --apparmor / --process-label).  A profile asked for on a host
# without AppArmor is a clear error at create, with nothing left behind; an
# SELinux label on a host without SELinux changes nothing.  Where the host
# runs AppArmor, the container really runs under the profile.

load ../helpers

apparmor_on() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]
}

@test "lsm: apparmorProfile without AppArmor fails create clearly and leaves nothing" {
	apparmor_on && skip "this host runs AppArmor"
	update_config '.process.apparmorProfile = "xrt-test-profile"'
	xrt_create "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *xrt-test-profile*'requested, but AppArmor is not enabled on this host'* ]]
	assert_no_leftovers
}

@test "lsm: exec --apparmor without AppArmor fails with 255 and a clear error" {
	apparmor_on && skip "this host runs AppArmor"
	set_cmd 'exec sleep 1000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	run xrt exec --apparmor xrt-test-profile "$CID" true
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *"AppArmor is not enabled"* ]]
	# The container is unharmed.
	run xrt exec "$CID" echo still-here
	[ "$output" = still-here ]
}

@test "lsm: with AppArmor, the process runs under its profile" {
	apparmor_on || skip "AppArmor is not enabled on this host"
	# "unconfined" always exists; a loaded profile is checked when the host has one.
	local profile
	profile=$(awk '$1 !~ /\/\// {print $1; exit}' /sys/kernel/security/apparmor/profiles 2>/dev/null || true)
	[ -n "$profile" ] || profile=unconfined
	update_config '.process.apparmorProfile = $p' --arg p "$profile"
	set_cmd 'cat /proc/self/attr/current; echo'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "$profile"* ]]
}

# load_test_profile: a profile that allows what a shell needs and denies
# reading /forbidden, loaded for this test (removed in teardown).
load_test_profile() {
	command -v apparmor_parser >/dev/null || skip "apparmor_parser is needed (apt-get install apparmor)"
	PROFILE=xrt-test-deny-$$
	cat >"$BATS_TEST_TMPDIR/profile" <<-EOP
		profile $PROFILE flags=(attach_disconnected,mediate_deleted) {
		  file,
		  capability,
		  network,
		  signal,
		  deny /forbidden r,
		}
	EOP
	apparmor_parser -r -W "$BATS_TEST_TMPDIR/profile"
	PROFILE_LOADED=1
	echo secret >"$BUNDLE/rootfs/forbidden"
}

teardown() {
	xrt_teardown
	if [ -n "${PROFILE_LOADED:-}" ]; then
		apparmor_parser -R "$BATS_TEST_TMPDIR/profile" || true
	fi
}

@test "lsm: with AppArmor, a loaded profile confines the process and exec --apparmor: what it denies fails" {
	apparmor_on || skip "AppArmor is not enabled on this host"
	load_test_profile
	update_config '.process.apparmorProfile = $p' --arg p "$PROFILE"
	set_cmd 'cat /proc/self/attr/current; echo; cat /forbidden || echo denied; exec sleep 1000'
	xrt_run_d "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	for ((i = 0; i < 200; i++)); do
		grep -q denied "$DETACHED_LOG" && break
		sleep 0.1
	done
	output=$(cat "$DETACHED_LOG")
	echo "$output"
	[[ "$output" == *"$PROFILE (enforce)"* ]]
	[[ "$output" == *denied* ]]
	[[ "$output" != *secret* ]]
	# exec gets the container's profile by default, and --apparmor's.
	run xrt exec "$CID" cat /proc/self/attr/current
	[[ "$output" == "$PROFILE (enforce)"* ]]
	run xrt exec "$CID" cat /forbidden
	[ "$status" -ne 0 ]
	run xrt exec --apparmor unconfined "$CID" cat /forbidden
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = secret ]
}

@test "lsm: selinuxLabel and --process-label on a host without SELinux change nothing" {
	[ -d /sys/fs/selinux ] && skip "this host runs SELinux"
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2" | .linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	set_cmd 'echo ok; exec sleep 1000'
	xrt_run_d "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	run xrt exec --process-label "system_u:system_r:container_t:s0:c3,c4" "$CID" echo exec-ok
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = exec-ok ]
}
