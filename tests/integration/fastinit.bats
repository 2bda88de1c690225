#!/usr/bin/env bats
# The fast init (fastinit/fastinit.c, containerinit/fast.go): for a plain
# container, create builds the root from a thread of its own in the
# container's namespaces and `xrt init` is C only, with no Go runtime.
# Everything the container can see must be what the Go init gives it: each
# test runs the same bundle both ways (XRT_NO_FASTPATH=1 is the Go init)
# and compares. Which init ran is read from the --debug log.

load ../helpers

setup() {
	xrt_only "xrt's own fast path"
	xrt_setup
}

# run_both ID: a foreground run of $BUNDLE as ID with the fast init, then
# again with the Go init; $fast_out, $go_out, $fast_status, $go_status.
# Fails unless each run took the init it was meant to.
run_both() {
	local id=$1 log
	for mode in fast go; do
		log=$BATS_TEST_TMPDIR/$mode.log
		CREATED_IDS+=("$id")
		if [ $mode = go ]; then
			XRT_NO_FASTPATH=1 run xrt --debug --log "$log" run --bundle "$BUNDLE" "$id"
		else
			run xrt --debug --log "$log" run --bundle "$BUNDLE" "$id"
		fi
		printf -v "${mode}_out" '%s' "$output"
		printf -v "${mode}_status" '%s' "$status"
		echo "$mode: status=$status"
		echo "$output"
		xrt delete -f "$id" >/dev/null 2>&1 || true
	done
	grep -q 'the fast init (C) starts' "$BATS_TEST_TMPDIR/fast.log"
	refute grep -q 'the fast init (C) starts' "$BATS_TEST_TMPDIR/go.log"
	grep -q 'the Go init sets up this process: XRT_NO_FASTPATH is set' "$BATS_TEST_TMPDIR/go.log"
}

# What the container reports of itself; mountinfo without mount ids and
# device numbers, which differ from one container to the next.
VIEW='id; grep -E "^(Cap|NoNewPrivs|Seccomp|Groups|Uid|Gid|Umask)" /proc/self/status
cat /proc/self/limits; umask; pwd; env | sort; hostname; cat /proc/self/oom_score_adj
cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax /proc/self/cgroup
awk "{ \$1 = \$2 = \$3 = \"\"; print }" /proc/self/mountinfo
ip -o link 2>/dev/null | cut -d" " -f2,3
touch /dev/shm/f; chmod 600 /dev/shm/f 2>&1; echo chmod=$?
ls /proc/self/fd'

@test "fastinit: a non-root container with limits, caps, seccomp and sysctls sees the same either way" {
	set_cmd "$VIEW"
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20], "umask": 23}
		| .process.cwd = "/home/made/by/create"
		| .process.env = ["PATH=/bin:/usr/bin", "FOO=1", "FOO=2", "HOME="]
		| .process.noNewPrivileges = true
		| .process.oomScoreAdj = 300
		| .process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
		| .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"],
			"effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
			"inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}
		| .domainname = "example.org"
		| .root.readonly = true
		| .linux.namespaces |= map(select(.type != "cgroup")) + [{"type": "cgroup"}]
		| .linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"}
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
			"syscalls": [{"names": ["chmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	run_both "$CID"
	[ "$fast_status" -eq 0 ]
	[ "$go_status" -eq 0 ]
	[ "$fast_out" = "$go_out" ]
	# And it is what was asked, not the same mistake twice.
	output=$fast_out
	[[ "$output" == "uid=1000("*") gid=1000("*") groups=10,20"* ]]
	[ "$(status_field CapAmb)" = "0000000000000400" ]
	[ "$(status_field CapBnd)" = "$(cap_mask CAP_CHOWN CAP_NET_BIND_SERVICE CAP_KILL)" ]
	[ "$(status_field NoNewPrivs)" = 1 ]
	[ "$(status_field Seccomp)" = 2 ]
	[ "$(status_field Umask)" = 0027 ]
	[[ "$output" == *"/home/made/by/create"* ]]
	[[ "$output" == *"chmod=1"* ]]
	grep -q '^Max open files *512 *1024' <<<"$output"
	grep -qx 'FOO=2' <<<"$output"
	refute grep -qx 'FOO=1' <<<"$output"
	grep -qx '300' <<<"$output"
	grep -qx '0::/' <<<"$output"
	grep -q ' / ro,' <<<"$output"
	grep -q '^lo: <LOOPBACK,UP' <<<"$output"
}

@test "fastinit: a root container with preserved fds and its session keyring sees the same either way" {
	# /proc/keys is masked by default: show it, for the keyring's name.
	update_config '.linux.maskedPaths -= ["/proc/keys"]'
	echo "from fd 3" >"$BATS_TEST_TMPDIR/fd3"
	local mode log id
	for mode in fast go; do
		# An id each: the kernel drops the first run's keyring a moment
		# after its last process, and /proc/keys lists it until then.
		id=$CID-$mode
		set_cmd 'cat /proc/self/status | grep -E "^(Cap|Seccomp|NoNewPrivs)"; ls /proc/self/fd; cat <&3
grep -o "_ses[.]'"$id"'" /proc/keys; cat /proc/1/cmdline | tr "\0" " "; echo; ls -l /proc/1/cwd | sed "s/.* -> //"'
		log=$BATS_TEST_TMPDIR/$mode.log
		CREATED_IDS+=("$id")
		if [ $mode = go ]; then
			XRT_NO_FASTPATH=1 run xrt --debug --log "$log" run --preserve-fds 1 --bundle "$BUNDLE" "$id" 3<"$BATS_TEST_TMPDIR/fd3"
		else
			run xrt --debug --log "$log" run --preserve-fds 1 --bundle "$BUNDLE" "$id" 3<"$BATS_TEST_TMPDIR/fd3"
		fi
		echo "$mode: status=$status"
		echo "$output"
		[ "$status" -eq 0 ]
		printf -v "${mode}_out" '%s' "${output//$id/ID}"
		assert_no_leftovers "$id"
	done
	grep -q 'the fast init (C) starts' "$BATS_TEST_TMPDIR/fast.log"
	[ "$fast_out" = "$go_out" ]
	[[ "$fast_out" == *"from fd 3"* ]]
	[[ "$fast_out" == *"_ses.ID"$'\n'* ]]
}

@test "fastinit: create and start keep their split, and the created init is sealed and small" {
	set_cmd 'echo started'
	CREATED_IDS+=("$CID")
	xrt_detached --debug --log "$BATS_TEST_TMPDIR/log" create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	grep -q 'the fast init (C) starts' "$BATS_TEST_TMPDIR/log"
	[ "$(state_field "$CID" status)" = created ]
	local pid
	pid=$(state_field "$CID" pid)
	# No Go runtime: one thread, and its executable is sealed xrt.
	[ "$(awk '$1 == "Threads:" {print $2}' "/proc/$pid/status")" -eq 1 ]
	cmp "/proc/$pid/exe" "$XRT"
	run sh -c "echo x >>/proc/$pid/exe"
	[ "$status" -ne 0 ]
	run xrt start "$CID"
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
	grep -q started "$DETACHED_LOG"
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "fastinit: its failures read as the Go init's, and leave nothing behind" {
	# A step of the C init (oom_score_adj out of range), a step of
	# create's setup thread (cwd over a file), the program found by
	# neither, and an execve that fails after start.
	printf '\x7fELF-not-really' >"$BUNDLE/rootfs/bin/notelf"
	chmod 755 "$BUNDLE/rootfs/bin/notelf"
	local case
	for case in '.process.oomScoreAdj = 5000' '.process.cwd = "/etc/passwd"' \
		'.process.args = ["no-such-program"]' '.process.args = ["/bin/notelf"]'; do
		update_config "$case"
		run_both "$CID"
		[ "$fast_status" -ne 0 ]
		[ "$fast_status" = "$go_status" ]
		[ "$fast_out" = "$go_out" ]
		assert_no_leftovers
		update_config '.process.oomScoreAdj = null | .process.cwd = "/" | .process.args = ["true"]'
	done
}

@test "fastinit: prestart and createRuntime hooks run from create, in the runtime's namespaces, with the state" {
	local log=$BATS_TEST_TMPDIR/hooks
	mkdir -p "$log"
	update_config '.hooks = {
		"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "readlink /proc/self/ns/mnt > \($l)/prestart.ns; cat > \($l)/prestart.json"]}],
		"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "readlink /proc/self/ns/net > \($l)/createRuntime.ns; cat > \($l)/createRuntime.json"]}]}' \
		--arg l "$log"
	CREATED_IDS+=("$CID")
	xrt_detached --debug --log "$BATS_TEST_TMPDIR/log" create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	grep -q 'the fast init (C) starts' "$BATS_TEST_TMPDIR/log"
	[ "$(cat "$log/prestart.ns")" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(cat "$log/createRuntime.ns")" = "$(readlink /proc/self/ns/net)" ]
	local pid
	pid=$(state_field "$CID" pid)
	for h in prestart createRuntime; do
		jq -e --arg id "$CID" --argjson pid "$pid" '.id == $id and .status == "creating" and .pid == $pid' "$log/$h.json"
	done
	run xrt delete -f "$CID"
	# A failing one fails create in the same words either way.
	update_config '.hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo no >&2; exit 3"]}]}'
	run_both "$CID"
	[ "$fast_status" -ne 0 ]
	[ "$fast_out" = "$go_out" ]
	assert_no_leftovers
}

@test "fastinit: what it does not take goes to the Go init, saying why" {
	update_config '.hooks = {"createContainer": [{"path": "/bin/true"}]}'
	CREATED_IDS+=("$CID")
	run xrt --debug --log "$BATS_TEST_TMPDIR/log" run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	grep -q 'the Go init sets up this process: createContainer or startContainer hooks' "$BATS_TEST_TMPDIR/log"
	refute grep -q 'the fast init (C) starts' "$BATS_TEST_TMPDIR/log"
}
