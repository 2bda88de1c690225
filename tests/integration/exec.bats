#!/usr/bin/env bats
# exec: a new process in a running container.  It joins every namespace and
# the cgroup of the init, takes the flags (--cwd, -e, -u, -g, --cap,
# --no-new-privs, -d/--pid-file, --preserve-fds, --process), reports the
# exit status, and is refused for stopped and paused containers.

load ../helpers

# Freezer cgroups of paused containers, thawed by teardown (a frozen
# process cannot even die); then exec processes this test left waiting on
# a paused container get a few seconds to finish before they are killed.
THAW_DIRS=()
EXEC_PIDS=()

teardown() {
	local p d
	for d in "${THAW_DIRS[@]}"; do
		if [ "$(cat "$d/freezer.state" 2>/dev/null)" = FROZEN ]; then
			echo "teardown: thawing $d" >&2
			echo THAWED >"$d/freezer.state" || true
		fi
	done
	for p in "${EXEC_PIDS[@]}"; do
		wait_bg "$p" 5 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
	done
	xrt_teardown
}

# start_container: run -d a container whose init is one process that
# sleeps (after writing /ready); sets INIT to its pid.
start_container() {
	set_cmd 'echo ready > /ready; exec sleep 100000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/ready"
	INIT=$(state_field "$CID" pid)
}

# freezer_dir PID: the host freezer cgroup directory of PID.
freezer_dir() {
	echo "/sys/fs/cgroup/freezer$(awk -F: '$2 == "freezer" {print $3}' "/proc/$1/cgroup")"
}

ALL_NS=(pid net ipc uts mnt cgroup user)

@test "exec: the process is in every namespace of the init (seen from inside)" {
	update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
	start_container
	run xrt exec "$CID" sh -c 'for n in pid net ipc uts mnt cgroup user; do
		if [ "$(readlink /proc/1/ns/$n)" = "$(readlink /proc/self/ns/$n)" ]; then echo "same $n"; else echo "differs $n"; fi
	done'
	echo "$output"
	[ "$status" -eq 0 ]
	for n in "${ALL_NS[@]}"; do
		[[ "$output" == *"same $n"* ]]
	done
	[[ "$output" != *differs* ]]
}

@test "exec: the process leads its own session, with and without -d (CRIU can dump it)" {
	start_container
	# Field 6 of /proc/PID/stat is the session id: the shell's own pid.
	run xrt exec "$CID" sh -c 'read -r _ _ _ _ _ sid _ </proc/self/stat; echo "$$ $sid"'
	echo "$output"
	[ "$status" -eq 0 ]
	read -r pid sid <<<"$output"
	[ "$pid" = "$sid" ]
	run xrt exec -d "$CID" sh -c 'read -r _ _ _ _ _ sid _ </proc/self/stat; echo "$$ $sid" >/sid; sleep 1'
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/sid"
	read -r pid sid <"$BUNDLE/rootfs/sid"
	[ -n "$pid" ] && [ "$pid" = "$sid" ]
}

@test "exec: the process is in the init's namespaces and cgroups (seen from the host)" {
	update_config '.linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
	start_container
	xrt_detached exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" sleep 1000
	[ "$status" -eq 0 ]
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[ "$epid" != "$INIT" ]
	for n in pid net ipc uts mnt cgroup; do
		echo "$n: $(readlink "/proc/$epid/ns/$n") init $(readlink "/proc/$INIT/ns/$n") host $(host_ns "$n")"
		[ "$(ns_inode "/proc/$epid/ns/$n")" = "$(ns_inode "/proc/$INIT/ns/$n")" ]
		[ "$(ns_inode "/proc/$epid/ns/$n")" != "$(host_ns_inode "$n")" ]
	done
	diff "/proc/$INIT/cgroup" "/proc/$epid/cgroup"
	# Same root as the init (the container's rootfs).
	[ "$(stat -L -c %d:%i "/proc/$epid/root")" = "$(stat -L -c %d:%i "/proc/$INIT/root")" ]
}

@test "exec: /proc/self/cgroup of the process equals the init's" {
	start_container
	run xrt exec "$CID" sh -c 'cat /proc/self/cgroup; echo ---; cat /proc/1/cgroup'
	[ "$status" -eq 0 ]
	mine=$(sed '/^---$/,$d' <<<"$output")
	init=$(sed '1,/^---$/d' <<<"$output")
	echo "$mine"
	[ -n "$mine" ]
	[ "$mine" = "$init" ]
}

@test "exec: --cwd, -e and the config's environment" {
	update_config '.process.env = ["PATH=/usr/bin:/bin", "FROMCFG=cfg", "OVER=old"]'
	start_container
	run xrt exec --cwd /tmp -e FOO=bar -e 'SPACED=a b' -e OVER=new "$CID" sh -c 'pwd; echo "$FOO|$SPACED|$OVER|$FROMCFG|$PATH"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	[ "${lines[1]}" = "bar|a b|new|cfg|/usr/bin:/bin" ]
	# Without --cwd: the config's cwd (/).
	run xrt exec "$CID" pwd
	[ "$status" -eq 0 ]
	[ "$output" = / ]
}

@test "exec: -u uid:gid and -g additional gids" {
	start_container
	run xrt exec -u 1000:1000 -g 10 -g 20 "$CID" sh -c 'id -u; id -g; id -G; touch /tmp/f; stat -c %u:%g /tmp/f'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[2]}" | sort -n | tr '\n' ' ')" = "10 20 1000 " ]
	[ "${lines[3]}" = 1000:1000 ]

	run xrt exec -u 65534 "$CID" id -u
	[ "$status" -eq 0 ]
	[ "$output" = 65534 ]
	# Without -u: the config's user (root, no extra groups).
	run xrt exec "$CID" id -G
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "exec: --cap adds a capability (usable) to effective/permitted/bounding, never to inheritable" {
	start_container
	mapfile -t base < <(jq -r '.process.capabilities.bounding[]' "$BUNDLE/config.json")
	# CAP_CHOWN is not in the default set: chown fails without it.
	run xrt exec "$CID" sh -c 'grep ^Cap /proc/self/status; touch /tmp/f; chown 1000 /tmp/f && echo CHOWNED'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" != *CHOWNED* ]]
	[ "$(status_field CapEff)" = "$(cap_mask "${base[@]}")" ]

	run xrt exec --cap CAP_CHOWN "$CID" sh -c 'grep ^Cap /proc/self/status; touch /tmp/f; chown 1000 /tmp/f && echo CHOWNED'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *CHOWNED* ]]
	want=$(cap_mask "${base[@]}" CAP_CHOWN)
	[ "$(status_field CapEff)" = "$want" ]
	[ "$(status_field CapPrm)" = "$want" ]
	[ "$(status_field CapBnd)" = "$want" ]
	# CVE-2022-29162: exec --cap must not fill the inheritable set.
	[ "$(status_field CapInh)" = 0000000000000000 ]
	[ "$(stat -c %u "$BUNDLE/rootfs/tmp/f")" = 1000 ]
}

@test "exec: --no-new-privs sets NoNewPrivs, the config's value is the default" {
	update_config '.process.noNewPrivileges = false'
	start_container
	run xrt exec "$CID" grep NoNewPrivs /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
	run xrt exec --no-new-privs "$CID" grep NoNewPrivs /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 1 ]
}

@test "exec -d --pid-file: returns at once, the pid file holds the running process's host pid" {
	start_container
	start=$(date +%s%N)
	xrt_detached exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" sh -c 'echo $$ > /tmp/inner.pid; exec sleep 1000'
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	[ "$status" -eq 0 ]
	[ "$elapsed_ms" -lt 5000 ]
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[[ "$epid" =~ ^[0-9]+$ ]]
	kill -0 "$epid"
	wait_for_file "$BUNDLE/rootfs/tmp/inner.pid"
	# The host pid's innermost pid is what the process saw as $$.
	for ((i = 0; i < 100; i++)); do
		[ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" = "sleep 1000 " ] && break
		sleep 0.05
	done
	[ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" = "sleep 1000 " ]
	inner=$(awk '$1 == "NSpid:" {print $NF}' "/proc/$epid/status")
	[ "$inner" = "$(cat "$BUNDLE/rootfs/tmp/inner.pid")" ]
	[ "$inner" -gt 1 ]
	# It is one of the container's processes.
	run xrt ps -f json "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq --argjson p "$epid" 'index($p) != null' <<<"$output")" = true ]
}

@test "exec --preserve-fds N: fds 3..3+N-1 reach the process, others do not" {
	start_container
	echo from-fd-3 >"$BATS_TEST_TMPDIR/f3"
	echo from-fd-4 >"$BATS_TEST_TMPDIR/f4"
	# In a subshell: bats itself uses fd 3.
	rc=0
	(
		exec 3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4"
		xrt exec --preserve-fds 2 "$CID" sh -c 'cat <&3; cat <&4'
	) >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "from-fd-3
from-fd-4" ]

	# --preserve-fds 1: fd 4 is not passed.
	rc=0
	(
		exec 3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4"
		xrt exec --preserve-fds 1 "$CID" sh -c 'cat <&3; cat <&4 || echo no-fd-4'
	) >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	grep -qx from-fd-3 "$BATS_TEST_TMPDIR/out"
	grep -qx no-fd-4 "$BATS_TEST_TMPDIR/out"
	refute grep -q from-fd-4 "$BATS_TEST_TMPDIR/out"
}

@test "exec: only fds 0, 1, 2 (and the preserved ones) are open in the process" {
	start_container
	# Extra fds open in the caller must not leak in (bats has some, too).
	rc=0
	(
		exec 7<"$BUNDLE/config.json" 8>"$BATS_TEST_TMPDIR/junk"
		xrt exec "$CID" ls /proc/self/fd
	) >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 0 ]
	# ls opens the directory itself: that is fd 3.
	[ "$(sort -n "$BATS_TEST_TMPDIR/out" | tr '\n' ' ')" = "0 1 2 3 " ]

	rc=0
	(
		exec 3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json" 7<"$BUNDLE/config.json"
		xrt exec --preserve-fds 2 "$CID" ls /proc/self/fd
	) >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 0 ]
	[ "$(sort -n "$BATS_TEST_TMPDIR/out" | tr '\n' ' ')" = "0 1 2 3 4 5 " ]
}

@test "exec: stdin of the caller reaches the process" {
	start_container
	out=$(printf 'line1\nline2\n' | xrt exec "$CID" sh -c 'cat; echo eof')
	[ "$out" = "line1
line2
eof" ]
}

@test "exec: the exit status is the process's, 128+N when killed by signal N" {
	start_container
	run xrt exec "$CID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run xrt exec "$CID" true
	[ "$status" -eq 0 ]
	run xrt exec "$CID" false
	[ "$status" -eq 1 ]
	run xrt exec "$CID" sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	run xrt exec "$CID" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	# The container is unaffected.
	[ "$(state_field "$CID" status)" = running ]
}

@test "exec: a missing binary gives 'executable file not found in \$PATH' and exit 255" {
	start_container
	run xrt exec "$CID" no-such-binary arg
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *'executable file not found in $PATH'* ]]
	[[ "$output" == *no-such-binary* ]]
	# Nothing of it stays in the container, which still runs.
	[ "$(state_field "$CID" status)" = running ]
	run xrt ps -f json "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = "[$INIT]" ]
	# An absolute path that does not exist fails the same way.
	run xrt exec "$CID" /no/such/file
	[ "$status" -eq 255 ]
	[[ "$output" == *"no such file or directory"* ]]
}

@test "exec: into a stopped container fails with 255" {
	start_container
	run xrt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	run xrt exec "$CID" true
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *stopped* ]]
	run xrt exec "$CID" sh -c 'echo ran > /ran'
	[ ! -e "$BUNDLE/rootfs/ran" ]
}

@test "exec: into a paused container fails (255) and says --ignore-paused" {
	start_container
	THAW_DIRS+=("$(freezer_dir "$INIT")")
	run xrt pause "$CID"
	[ "$status" -eq 0 ]
	run xrt exec "$CID" sh -c 'echo ran > /ran'
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *paused* ]]
	[[ "$output" == *--ignore-paused* ]]
	[ ! -e "$BUNDLE/rootfs/ran" ]
	# Still paused, and resume works.
	[ "$(state_field "$CID" status)" = paused ]
	run xrt resume "$CID"
	[ "$status" -eq 0 ]
	run xrt exec "$CID" sh -c 'echo ran > /ran'
	[ "$status" -eq 0 ]
	[ -e "$BUNDLE/rootfs/ran" ]
}

@test "exec --ignore-paused: the process joins the frozen container and runs once it is resumed" {
	start_container
	THAW_DIRS+=("$(freezer_dir "$INIT")")
	run xrt pause "$CID"
	[ "$status" -eq 0 ]
	timeout -k 5 30 "$XRT" --root "$ROOT" exec --ignore-paused "$CID" sh -c 'echo ran > /ran; exit 3' \
		</dev/null >"$BATS_TEST_TMPDIR/exec.log" 2>&1 &
	ep=$!
	EXEC_PIDS+=("$ep")
	sleep 0.5
	[ ! -e "$BUNDLE/rootfs/ran" ]
	# resume must not wait for the exec (it would never finish).
	run timeout -k 2 10 "$XRT" --root "$ROOT" resume "$CID"
	echo "resume: $status $output"
	[ "$status" -eq 0 ]
	wait_bg "$ep" 20
	cat "$BATS_TEST_TMPDIR/exec.log"
	[ "$rc" -eq 3 ]
	[ "$(cat "$BUNDLE/rootfs/ran")" = ran ]
}

@test "exec --process FILE: args, env, cwd and user come from the JSON" {
	start_container
	cat >"$BATS_TEST_TMPDIR/process.json" <<'EOF'
{
	"terminal": false,
	"user": {"uid": 1000, "gid": 1000, "additionalGids": [20]},
	"args": ["sh", "-c", "id -u; id -G; pwd; echo \"$PFOO\"; exit 5"],
	"env": ["PATH=/bin:/usr/bin", "PFOO=from-process-json"],
	"cwd": "/tmp"
}
EOF
	run xrt exec --process "$BATS_TEST_TMPDIR/process.json" "$CID"
	echo "$output"
	[ "$status" -eq 5 ]
	[ "${lines[0]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[1]}" | sort -n | tr '\n' ' ')" = "20 1000 " ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = from-process-json ]
}

@test "exec: many execs in a row leave no processes behind" {
	start_container
	for i in 1 2 3 4 5; do
		run xrt exec "$CID" sh -c "echo $i"
		[ "$status" -eq 0 ]
		[ "$output" = "$i" ]
	done
	run xrt ps -f json "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = "[$INIT]" ]
}

# own_cgroup_dirs PID: the cgroup directories of PID on the host, one per
# line as "HIERARCHY-ID:CONTROLLERS:DIR".
own_cgroup_dirs() {
	local id ctrls p
	while IFS=: read -r id ctrls p; do
		if [ -z "$ctrls" ]; then
			echo "/sys/fs/cgroup/unified$p"
		elif [[ "$ctrls" != name=* ]]; then
			echo "/sys/fs/cgroup/$ctrls$p"
		fi
	done <"/proc/$1/cgroup"
}

@test "exec --cgroup: the process runs in the named sub-cgroup, per controller too" {
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		skip "written for this cgroup v1 hybrid host"
	fi
	start_container
	local d s
	for d in $(own_cgroup_dirs "$INIT"); do
		[ -d "$d" ] || continue
		for s in sub msub; do
			mkdir "$d/$s"
			# A new cpuset cgroup has no cpus or mems: nothing may join it.
			if [ -f "$d/cpuset.cpus" ]; then
				cat "$d/cpuset.cpus" >"$d/$s/cpuset.cpus"
				cat "$d/cpuset.mems" >"$d/$s/cpuset.mems"
			fi
		done
	done
	run xrt exec --cgroup sub "$CID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -v -e ':name=' -e '/sub$' <<<"$output")" = "" ]

	run xrt exec --cgroup sub --cgroup memory:msub "$CID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q ':memory:.*/msub$' <<<"$output"
	grep -q ':pids:.*/sub$' <<<"$output"

	run xrt exec --cgroup nosuch "$CID" true
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *"sub-cgroup must exist"* ]]
	run xrt exec --cgroup ../escape "$CID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"a sub-cgroup of the container"*"without"* ]]
}
