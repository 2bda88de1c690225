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
