#!/usr/bin/env bats
# Where xrt follows runc's behaviour that engines, scripts and people rely
# on, found by running runc's own suite against xrt (issue 10): each test
# checks what the container (or the caller) sees.

load ../helpers

@test "fidelity: a bundle of Debian's runc spec (ambient without inheritable) runs, with a warning" {
	update_config '.process.capabilities.ambient = ["CAP_KILL", "CAP_AUDIT_WRITE"]
		| .process.capabilities.inheritable = ["CAP_KILL"]'
	set_cmd 'grep -E "^Cap(Amb|Inh)" /proc/self/status'
	run_in_container
	[ "$status" -eq 0 ]
	# CAP_KILL (5) raised, CAP_AUDIT_WRITE not (not inheritable).
	[ "$(status_field CapAmb)" = 0000000000000020 ]
	[[ "$output" == *"can't raise ambient capability CAP_AUDIT_WRITE"* ]]
}

@test "fidelity: unknown and unavailable capability names are a warning, the rest apply" {
	update_config '.process.capabilities.bounding += ["CAP_NOSUCH", "cap_chown"]
		| .process.capabilities.effective += ["CAP_NOSUCH"]'
	set_cmd 'grep ^CapBnd /proc/self/status'
	run_in_container
	[ "$status" -eq 0 ]
	[[ "$output" == *"ignoring unknown or unavailable capabilities: [CAP_NOSUCH cap_chown]"* ]]
	[ "$(status_field CapBnd)" = "$(cap_mask CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)" ]
}

@test "fidelity: without no_new_privs, a profile that denies close_range still starts the container, and no fd leaks" {
	update_config '.process.noNewPrivileges = false
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_cmd 'ls /proc/self/fd | wc -l'
	CREATED_IDS+=("$CID")
	run xrt run --bundle "$BUNDLE" "$CID" 3>/dev/null 4>/dev/null 5>/dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	# 0, 1, 2 and ls's directory: nothing of init's or the caller's.
	[ "${lines[-1]}" = 4 ]
}

@test "fidelity: a foreground terminal prints \\n, not \\r\\n" {
	update_config '.process.terminal = true'
	set_cmd 'printf "a\nb\n"'
	CREATED_IDS+=("$CID")
	local out=$BATS_TEST_TMPDIR/out
	script -qec "$XRT --root $ROOT run --bundle $BUNDLE $CID" /dev/null </dev/null >"$out"
	od -c "$out"
	[ "$(tr -cd '\r' <"$out" | wc -c)" -eq 0 ]
	grep -q "a" "$out"
}

@test "fidelity: process.cwd the user cannot reach as root first, reachable as the user" {
	mkdir -p "$BUNDLE/rootfs/home/u/work"
	chown 1000:1000 "$BUNDLE/rootfs/home/u" "$BUNDLE/rootfs/home/u/work"
	chmod 0700 "$BUNDLE/rootfs/home/u"
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.cwd = "/home/u/work"'
	set_cmd 'pwd; id -u'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /home/u/work ]
	[ "${lines[1]}" = 1000 ]
}

@test "fidelity: a cwd the user cannot reach is reached as root before the switch" {
	mkdir -p "$BUNDLE/rootfs/secret/inner"
	chmod 0700 "$BUNDLE/rootfs/secret"
	chmod 0777 "$BUNDLE/rootfs/secret/inner"
	update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.cwd = "/secret/inner"'
	set_cmd 'pwd'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /secret/inner ]
}

@test "fidelity: lo is up in a new network namespace, and a joined one is left alone" {
	set_cmd 'cat /sys/class/net/lo/operstate; cat /sys/class/net/lo/flags'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = unknown ] # lo's operstate when up
	# IFF_UP is bit 0.
	(( ${lines[1]} & 1 ))

	# A namespace the test made (lo down) and the container joins stays as it was.
	local ns=$BATS_TEST_TMPDIR/netns
	make_netns "$ns"
	update_config '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = "'"$ns"'" else . end]'
	run_in_container
	[ "$status" -eq 0 ]
	(( (${lines[1]} & 1) == 0 ))
}

@test "fidelity: flags after the container id are taken, as runc's command line does" {
	set_cmd 'sleep 1000'
	update_config '.linux.resources.pids = {"limit": 20}'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	run xrt update "$CID" --pids-limit 30
	echo "$output"
	[ "$status" -eq 0 ]
	run xrt ps "$CID"
	[ "$status" -eq 0 ]
	run xrt kill "$CID" KILL --all
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	run xrt delete "$CID" --force
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/$CID" ]
}

@test "fidelity: --debug logs init's stages, to stderr or to --log" {
	run xrt --debug run --bundle "$BUNDLE" "$CID"
	CREATED_IDS+=("$CID")
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"level=debug"*"nsexec container setup"* ]]
	[[ "$output" == *"child process in init()"* ]]
	[[ "$output" == *"init: closing the pipe to signal completion"* ]]

	run xrt --debug --log "$BATS_TEST_TMPDIR/log" --log-format json run --bundle "$BUNDLE" "$CID-2"
	CREATED_IDS+=("$CID-2")
	[ "$status" -eq 0 ]
	[[ "$output" != *level* ]]
	grep -q '"level":"debug"' "$BATS_TEST_TMPDIR/log"
	grep -q 'child process in init()' "$BATS_TEST_TMPDIR/log"
}

@test "fidelity: error texts tools grep for" {
	update_config '.hooks = {"prestart": [{"path": "/bin/true"}, {"path": "/bin/false"}]}'
	run xrt run --bundle "$BUNDLE" "$CID"
	CREATED_IDS+=("$CID")
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"error running prestart hook #1: /bin/false: exit status 1"* ]]
	assert_no_leftovers

	update_config 'del(.hooks)'
	set_cmd 'sleep 1000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	run xrt pause "$CID"
	[ "$status" -eq 0 ]
	run xrt exec "$CID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot exec in a paused container"* ]]
	run xrt resume "$CID"
	[ "$status" -eq 0 ]
	run xrt exec --cgroup .. "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"bad sub cgroup path"* ]]
	run xrt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	run xrt kill "$CID" TERM
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	# kill --all of a stopped container is no error (runc 1.5).
	run xrt kill --all "$CID" TERM
	[ "$status" -eq 0 ]
}

@test "fidelity: env lists a name once with its last value, and an empty HOME is set" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "ONE=two", "HOME=", "ONE=three"]'
	set_args env
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(grep -c '^ONE=' <<<"$output")" -eq 1 ]
	grep -qx 'ONE=three' <<<"$output"
	grep -qx 'HOME=/root' <<<"$output"
}

@test "fidelity: a relative mount destination is taken from /, with a warning" {
	update_config '.mounts += [{"destination": "rel/t", "type": "tmpfs", "source": "tmpfs"}]'
	set_cmd 'grep " /rel/t " /proc/self/mountinfo | wc -l'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 1 ]
	[[ "$output" == *"mount destination rel/t is not absolute"* ]]
}

@test "fidelity: duplicate masked paths are masked once, and masked directories share one tmpfs" {
	mkdir -p "$BUNDLE/rootfs/m1" "$BUNDLE/rootfs/m2"
	update_config '.linux.maskedPaths = ["/m1", "/m2", "/m1"]'
	set_cmd 'grep -c " /m1 " /proc/self/mountinfo; stat -c %d /m1 /m2'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = "${lines[2]}" ]
}

@test "fidelity: a /proc that is a symlink is refused with runc's words, nothing left" {
	rmdir "$BUNDLE/rootfs/proc" 2>/dev/null || rm -rf "$BUNDLE/rootfs/proc"
	ln -s /tmp "$BUNDLE/rootfs/proc"
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'filesystem \"proc\" must be mounted on ordinary directory'* ]]
	assert_no_leftovers
}

@test "fidelity: a read-only /dev still gets its devices and /dev/pts, then is read-only" {
	update_config '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
	set_cmd 'ls /dev/pts/ptmx >/dev/null && echo ok; touch /dev/x 2>&1 || echo ro'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "fidelity: a tmpfs over an existing directory keeps its mode unless mode= is given" {
	mkdir -p "$BUNDLE/rootfs/t1" "$BUNDLE/rootfs/t2"
	chmod 0710 "$BUNDLE/rootfs/t1" "$BUNDLE/rootfs/t2"
	update_config '.mounts += [{"destination": "/t1", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/t2", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1500"]},
		{"destination": "/t3", "type": "tmpfs", "source": "tmpfs"}]'
	set_cmd 'stat -c %a /t1 /t2 /t3'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 710 ]
	[ "${lines[1]}" = 1500 ]
	[ "${lines[2]}" = 1777 ]
}

@test "fidelity: memoryPolicy, ioPriority and scheduler are applied; bad ones refused at create" {
	update_config '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0"}
		| .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 4}
		| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
	set_cmd 'head -n 1 /proc/self/numa_maps | cut -d " " -f 2; grep -E "^(policy|nice)" /proc/self/sched; cut -d " " -f 19 /proc/self/stat'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = interleave:0 ]
	grep -Eq '^policy +: +3$' <<<"$output" # SCHED_BATCH
	[ "${lines[-1]}" = 5 ]              # nice

	update_config '.linux.memoryPolicy = {"mode": "MPOL_DEFAULT", "nodes": "0-7"}'
	run xrt run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mode requires 0 nodes but got 8"* ]]
	assert_no_leftovers
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["nope"]}'
	run xrt run --bundle "$BUNDLE" "$CID"
	[[ "$output" == *"invalid memory policy flag"* ]]
	update_config 'del(.linux.memoryPolicy) | .process.ioPriority.class = "IOPRIO_CLASS_NOPE"'
	run xrt run --bundle "$BUNDLE" "$CID"
	[[ "$output" == *"invalid ioPriority.Class"* ]]
	assert_no_leftovers
}

@test "fidelity: a runtime started under taskset does not pin its container" {
	local all
	all=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)
	[ "$all" != 0 ] || skip "one CPU"
	set_args grep Cpus_allowed_list /proc/self/status
	CREATED_IDS+=("$CID")
	run taskset -c 0 "$XRT" --root "$ROOT" run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$all"* ]]
}

@test "fidelity: --pidfd-socket receives a pidfd of init" {
	set_cmd 'sleep 1000'
	local sock=$BATS_TEST_TMPDIR/pidfd.sock
	"$TESTBIN/recvtty" --once --timeout 30s "$sock" 2>"$BATS_TEST_TMPDIR/recv.err" >/dev/null &
	local recv=$!
	BG_PIDS+=("$recv")
	wait_for_file "$sock"
	xrt_run_d --pidfd-socket "$sock" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = running ]
	wait "$recv" || true
	cat "$BATS_TEST_TMPDIR/recv.err"
	grep -q pidfd "$BATS_TEST_TMPDIR/recv.err"
}

@test "fidelity: list --format json is one line; a --root that does not exist is an error" {
	set_cmd 'sleep 1000'
	xrt_run_d "$CID"
	run xrt list --format json
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r '.[0].id' <<<"$output")" = "$CID" ]
	run timeout 10 "$XRT" --root "$BATS_TEST_TMPDIR/nonexistent" list
	[ "$status" -ne 0 ]
}

@test "fidelity: a pre-existing frozen cgroup is refused, and left as it was" {
	local base=xrt-test-frozen-$$ dir
	dir=/sys/fs/cgroup/freezer/$base
	[ -d /sys/fs/cgroup/freezer ] || dir=/sys/fs/cgroup/$base
	mkdir -p "$dir"
	if [ -e "$dir/freezer.state" ]; then echo FROZEN >"$dir/freezer.state"; else echo 1 >"$dir/cgroup.freeze"; fi
	update_config '.linux.cgroupsPath = "/'"$base"'"'
	run xrt run -d --bundle "$BUNDLE" "$CID"
	echo "$output"
	rmdir "$dir" # still there, not ours to remove
	[ "$status" -ne 0 ]
	[[ "$output" == *"container's cgroup unexpectedly frozen"* ]]
	[ ! -e "$ROOT/$CID" ]
}

# runc writes 1 for a pids limit of 0; the runtime-spec says 0 is a valid
# limit that runtimes SHOULD keep (config-linux.md, pids): xrt keeps it.
@test "fidelity: a pids limit of 0 stays 0 (the runtime-spec, not runc's 1)" {
	local cg=/xrt-test-pids0-$$ file
	file=/sys/fs/cgroup/pids$cg/pids.max
	[ -d /sys/fs/cgroup/pids ] || file=/sys/fs/cgroup$cg/pids.max
	update_config '.linux.cgroupsPath = "'"$cg"'" | .linux.resources.pids = {"limit": 0}'
	set_args sleep 1000
	xrt_run_d "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$file")" = 0 ]
}

# Timer slack is inherited across fork and execve: the Go runtime's sysmon
# thread takes a coarse one (package timerslack), which must not reach what
# xrt starts.
@test "fidelity: the container, its hooks and exec get the caller's timer slack; xrt's sysmon 1ms" {
	local hook=$BATS_TEST_TMPDIR/hook.slack
	update_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "cat /proc/self/timerslack_ns > \($f)"]}]' \
		--arg f "$hook"
	set_cmd 'cat /proc/self/timerslack_ns; exec sleep 100'
	# slacked NS CMD...: exec CMD with a timer slack of NS, as a caller's.
	local slacked=(bash -c 'echo "$1" >/proc/$$/timerslack_ns && shift && exec "$@"' -)
	CREATED_IDS+=("$CID")
	"${slacked[@]}" 123456 "$XRT" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.log" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
	wait_for_state "$CID" running
	wait_for_file "$hook"
	[ "$(cat "$hook")" = 123456 ]
	for i in {1..100}; do [ -s "$BATS_TEST_TMPDIR/run.log" ] && break; sleep 0.05; done
	[ "$(cat "$BATS_TEST_TMPDIR/run.log")" = 123456 ]
	[ "$(cat "/proc/$(state_field "$CID" pid)/timerslack_ns")" = 123456 ]
	# The foreground run's threads, each by its id: sysmon's and the rest.
	if ! is_runc; then
		local tid slacks=()
		for tid in /proc/"$BG_PID"/task/*; do
			slacks+=("$(cat "/proc/${tid##*/}/timerslack_ns")")
		done
		echo "threads' slack: ${slacks[*]}"
		[ "$(printf '%s\n' "${slacks[@]}" | grep -cx 1000000)" -eq 1 ]
		[ "$(printf '%s\n' "${slacks[@]}" | grep -cvx -e 1000000 -e 123456)" -eq 0 ]
	fi

	run "${slacked[@]}" 234567 "$XRT" --root "$ROOT" exec "$CID" cat /proc/self/timerslack_ns
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 234567 ]
	xrt kill "$CID" KILL
	wait_bg "$BG_PID"
}
