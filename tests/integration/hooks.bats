#!/usr/bin/env bats
# OCI hooks: each hook records the state it got on stdin, and when it ran.
#
# createRuntime, prestart, poststart and poststop run on the host (in the
# runtime's namespaces).  createContainer runs in the container's mount
# namespace BEFORE pivot_root (runtime-spec: "before the pivot_root"), so
# host paths still resolve there; startContainer runs inside the container
# after pivot_root, so its program and output path are the container's.  A
# shared directory $HOOKLOG is bind-mounted at /hooklog for the latter.

load ../helpers

setup() {
	xrt_setup
	HOOKLOG=$BATS_TEST_TMPDIR/hooklog
	mkdir -p "$HOOKLOG"
	update_config '.mounts += [{"destination": "/hooklog", "type": "bind", "source": $d, "options": ["rbind", "rw"]}]' \
		--arg d "$HOOKLOG"
	set_cmd 'echo process >> /hooklog/order; while [ ! -e /go ]; do sleep 0.05; done'
}

# hook_json NAME DIR: a hook that saves its stdin to DIR/NAME.json and
# appends NAME to DIR/order. The file appears whole (renamed into place):
# a test that waits for it must not read it half written.
hook_json() {
	jq -cn --arg n "$1" --arg d "$2" \
		'{path: "/bin/sh", args: ["sh", "-c", "cat > \($d)/\($n).json.tmp && mv \($d)/\($n).json.tmp \($d)/\($n).json; echo \($n) >> \($d)/order"]}'
}

# set_all_hooks: every hook type records itself.
set_all_hooks() {
	update_config '.hooks = {
		createRuntime: [$cr], prestart: [$ps], createContainer: [$cc],
		startContainer: [$sc], poststart: [$pst], poststop: [$pstop]}' \
		--argjson cr "$(hook_json createRuntime "$HOOKLOG")" \
		--argjson ps "$(hook_json prestart "$HOOKLOG")" \
		--argjson cc "$(hook_json createContainer "$HOOKLOG")" \
		--argjson sc "$(hook_json startContainer /hooklog)" \
		--argjson pst "$(hook_json poststart "$HOOKLOG")" \
		--argjson pstop "$(hook_json poststop "$HOOKLOG")"
}

# check_hook_state NAME STATUS...: NAME.json is a state for $CID whose
# status is one of STATUS...
check_hook_state() {
	local f=$HOOKLOG/$1.json st
	shift
	[ -s "$f" ] || { echo "no state from hook $(basename "$f" .json)" >&2; return 1; }
	cat "$f" >&2
	echo >&2
	[ "$(jq -r .id "$f")" = "$CID" ]
	[ "$(jq -r .bundle "$f")" = "$BUNDLE" ]
	[ -n "$(jq -r .ociVersion "$f")" ]
	st=$(jq -r .status "$f")
	local want
	for want in "$@"; do
		[ "$st" = "$want" ] && return 0
	done
	echo "hook $(basename "$f" .json): status $st, wanted one of: $*" >&2
	return 1
}

@test "hooks: each hook runs at its time with the state on stdin" {
	set_all_hooks
	xrt_create "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)

	# After create: createRuntime, prestart and createContainer only.
	[ -s "$HOOKLOG/createRuntime.json" ]
	[ -s "$HOOKLOG/prestart.json" ]
	[ -s "$HOOKLOG/createContainer.json" ]
	[ ! -e "$HOOKLOG/startContainer.json" ]
	[ ! -e "$HOOKLOG/poststop.json" ]
	check_hook_state createRuntime creating
	check_hook_state prestart creating
	check_hook_state createContainer creating
	[ "$(jq -r .pid "$HOOKLOG/createRuntime.json")" = "$pid" ]
	# runc passes the pid as the container's pid namespace sees it (1).
	ccpid=$(jq -r .pid "$HOOKLOG/createContainer.json")
	[ "$ccpid" = "$pid" ] || [ "$ccpid" = 1 ]
	# The user process has not run yet.  prestart (deprecated) runs just
	# before createRuntime, as in runc.
	if is_runc; then
		# runc 1.1 runs poststart hooks at create time (fixed in runc
		# 1.2); xrt follows the runtime-spec.
		[ "$(grep -vx poststart "$HOOKLOG/order")" = "prestart
createRuntime
createContainer" ]
	else
		[ ! -e "$HOOKLOG/poststart.json" ]
		[ "$(cat "$HOOKLOG/order")" = "prestart
createRuntime
createContainer" ]
	fi

	run xrt start "$CID"
	[ "$status" -eq 0 ]
	# poststart has run when start returns; startContainer before the process.
	[ -s "$HOOKLOG/poststart.json" ]
	wait_for_file "$HOOKLOG/startContainer.json"
	check_hook_state startContainer created running
	if is_runc; then
		check_hook_state poststart created # runc 1.1: ran at create
	else
		check_hook_state poststart running
	fi
	[ "$(jq -r .pid "$HOOKLOG/poststart.json")" = "$pid" ]
	wait_for_file "$HOOKLOG/order"
	for ((i = 0; i < 100; i++)); do
		grep -qx process "$HOOKLOG/order" && break
		sleep 0.05
	done
	order=$(grep -nx -e startContainer -e process "$HOOKLOG/order" | cut -d: -f2 | tr '\n' ' ')
	[ "$order" = "startContainer process " ]
	[ ! -e "$HOOKLOG/poststop.json" ]

	touch "$BUNDLE/rootfs/go"
	wait_for_state "$CID" stopped
	[ ! -e "$HOOKLOG/poststop.json" ]
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	check_hook_state poststop stopped
	[ "$(tail -n1 "$HOOKLOG/order")" = poststop ]
	assert_no_leftovers
}

@test "hooks: args, env and several hooks of one type run in order" {
	update_config '.hooks.createRuntime = [
		{path: "/bin/sh", args: ["sh", "-c", "echo \"first $0 $1 $HOOKVAR\" >> \($d)/order", "arg0", "arg1"], env: ["HOOKVAR=hv"]},
		{path: "/bin/sh", args: ["sh", "-c", "echo second >> \($d)/order"]}]' --arg d "$HOOKLOG"
	xrt_create "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$HOOKLOG/order")" = "first arg0 arg1 hv
second" ]
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "echo hook-failing >&2; exit 3"]}]'
	xrt_create "$CID"
	echo "$output"
	[ "$status" -eq 1 ]
	run xrt state "$CID"
	[ "$status" -eq 1 ]
	[ ! -e "$HOOKLOG/order" ] # the process never ran
	assert_no_leftovers
}

@test "hooks: a failing createContainer hook fails create and leaves nothing" {
	update_config '.hooks.createContainer = [{path: "/bin/false"}]'
	xrt_create "$CID"
	[ "$status" -eq 1 ]
	[ ! -e "$HOOKLOG/order" ]
	assert_no_leftovers
}

@test "hooks: a hook exceeding its timeout fails" {
	update_config '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "exec sleep 30"], timeout: 1}]'
	start=$EPOCHREALTIME
	xrt_create "$CID"
	end=$EPOCHREALTIME
	echo "$output"
	[ "$status" -eq 1 ]
	# Killed at the timeout, not after the full sleep.
	((${end%.*} - ${start%.*} < 15))
	assert_no_leftovers
}

@test "hooks: a missing hook binary fails create" {
	update_config '.hooks.createRuntime = [{path: "/no/such/hook"}]'
	xrt_create "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers
}

@test "hooks: a failing poststart hook fails start and stops the container (runtime-spec 1.3)" {
	xrt_only "runc 1.1 runs poststart hooks at create time and fails create"
	update_config '.hooks.poststart = [{path: "/bin/true"}, {path: "/bin/false"}]'
	set_cmd 'sleep 1000'
	xrt_create "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	run xrt start "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running poststart hook #1: /bin/false"* ]]
	[ "$(state_field "$CID" status)" = stopped ]
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "hooks: a failing poststop hook does not fail delete" {
	update_config '.hooks.poststop = [{path: "/bin/sh", args: ["sh", "-c", "echo ran >> \($d)/poststop; exit 1"]}]' --arg d "$HOOKLOG"
	set_args true
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$HOOKLOG/poststop")" = ran ]
	assert_no_leftovers
}

@test "hooks: run (foreground) runs every hook, poststop included" {
	set_all_hooks
	set_cmd 'echo process >> /hooklog/order'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	for h in createRuntime prestart createContainer startContainer poststart poststop; do
		[ -s "$HOOKLOG/$h.json" ]
	done
	check_hook_state poststop stopped
	assert_no_leftovers
}
