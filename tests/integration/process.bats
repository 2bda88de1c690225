#!/usr/bin/env bats
# The container process: args, env, cwd, user, umask, capabilities,
# noNewPrivileges, rlimits, oomScoreAdj, hostname/domainname, sysctl,
# personality, exec.

load ../helpers

@test "process: args are passed verbatim (spaces, quotes, empty, dashes)" {
	set_args sh -c 'for a in "$@"; do echo "[$a]"; done' zero 'two words' '' '-c' '$HOME' "it's"
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "[two words]" ]
	[ "${lines[1]}" = "[]" ]
	[ "${lines[2]}" = "[-c]" ]
	[ "${lines[3]}" = '[$HOME]' ]
	[ "${lines[4]}" = "[it's]" ]
}

@test "process: env and cwd" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY=", "EQ=a=b"] | .process.cwd = "/tmp"'
	set_cmd 'echo "FOO=$FOO"; echo "EMPTY=[$EMPTY]"; echo "EQ=$EQ"; echo "PATH=$PATH"; pwd'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "FOO=bar baz" ]
	[ "${lines[1]}" = "EMPTY=[]" ]
	[ "${lines[2]}" = "EQ=a=b" ]
	[ "${lines[3]}" = "PATH=/bin:/usr/bin" ]
	[ "${lines[4]}" = /tmp ]
}

@test "process: a missing cwd is created" {
	update_config '.process.cwd = "/does/not/exist/yet"'
	set_cmd 'pwd'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /does/not/exist/yet ]
}

@test "process: HOME is set from /etc/passwd when the config has none" {
	update_config '.process.env = ["PATH=/bin"]'
	set_cmd 'echo "HOME=$HOME"'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = HOME=/root ]

	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = HOME=/home/u1000 ]

	# An explicit HOME wins.
	update_config '.process.env = ["PATH=/bin", "HOME=/elsewhere"]'
	run_in_container
	[ "${lines[0]}" = HOME=/elsewhere ]
}

@test "process: user uid, gid and additionalGids" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20, 65534]}'
	set_cmd 'id -u; id -g; id -G; id -un; touch /tmp/f; stat -c %u:%g /tmp/f'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[2]}" | sort -n | tr '\n' ' ')" = "10 20 1000 65534 " ]
	[ "${lines[3]}" = u1000 ]
	[ "${lines[4]}" = 1000:1000 ]
}

@test "process: root has no supplementary groups unless configured" {
	set_cmd 'id -G'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
}

@test "process: umask" {
	update_config '.process.user.umask = 63' # 0077
	set_cmd 'umask; touch /tmp/f; stat -c %a /tmp/f'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0077 ]
	[ "${lines[1]}" = 600 ]
}

@test "process: capabilities (root): the five sets match the config" {
	bnd=(CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_SETUID CAP_SETGID CAP_NET_BIND_SERVICE CAP_AUDIT_WRITE CAP_CHECKPOINT_RESTORE)
	inh=(CAP_CHOWN CAP_NET_RAW CAP_NET_BIND_SERVICE)
	amb=(CAP_NET_RAW CAP_NET_BIND_SERVICE)
	# For root the kernel recomputes permitted/effective at execve from the
	# bounding and inheritable sets: keep permitted = effective = bounding
	# so the expectation does not depend on that.
	caps=$(jq -cn --args '{bounding: $ARGS.positional, effective: $ARGS.positional, permitted: $ARGS.positional}' "${bnd[@]}")
	update_config '.process.capabilities = ($c + {inheritable: $i, ambient: $a}) | .process.noNewPrivileges = true' \
		--argjson c "$caps" \
		--argjson i "$(printf '%s\n' "${inh[@]}" | jq -Rcn '[inputs]')" \
		--argjson a "$(printf '%s\n' "${amb[@]}" | jq -Rcn '[inputs]')"
	set_cmd 'grep ^Cap /proc/self/status'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd)" = "$(cap_mask "${bnd[@]}")" ]
	[ "$(status_field CapPrm)" = "$(cap_mask "${bnd[@]}")" ]
	[ "$(status_field CapEff)" = "$(cap_mask "${bnd[@]}")" ]
	[ "$(status_field CapInh)" = "$(cap_mask "${inh[@]}")" ]
	[ "$(status_field CapAmb)" = "$(cap_mask "${amb[@]}")" ]
}

@test "process: capabilities (uid 1000): ambient become permitted and effective" {
	bnd=(CAP_CHOWN CAP_KILL CAP_NET_RAW CAP_NET_BIND_SERVICE)
	amb=(CAP_NET_RAW CAP_NET_BIND_SERVICE)
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {bounding: $b, effective: $b, permitted: $b, inheritable: $b, ambient: $a}' \
		--argjson b "$(printf '%s\n' "${bnd[@]}" | jq -Rcn '[inputs]')" \
		--argjson a "$(printf '%s\n' "${amb[@]}" | jq -Rcn '[inputs]')"
	set_cmd 'grep ^Cap /proc/self/status'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(status_field CapBnd)" = "$(cap_mask "${bnd[@]}")" ]
	[ "$(status_field CapInh)" = "$(cap_mask "${bnd[@]}")" ]
	[ "$(status_field CapAmb)" = "$(cap_mask "${amb[@]}")" ]
	[ "$(status_field CapPrm)" = "$(cap_mask "${amb[@]}")" ]
	[ "$(status_field CapEff)" = "$(cap_mask "${amb[@]}")" ]
}

@test "process: no capabilities at all for root gives empty sets" {
	update_config '.process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}'
	set_cmd 'grep ^Cap /proc/self/status; touch /tmp/f; chown 1000 /tmp/f || echo chown-denied'
	run_in_container
	[ "$status" -eq 0 ]
	for f in CapBnd CapPrm CapEff CapInh CapAmb; do
		[ "$(status_field "$f")" = 0000000000000000 ]
	done
	[[ "$output" == *chown-denied* ]]
}

@test "process: a capability left out is really not usable" {
	update_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
	set_cmd 'touch /tmp/f; chown 1000 /tmp/f && echo CHOWNED; mknod /tmp/n c 1 3 && echo MKNOD; true'
	run_in_container
	[ "$status" -eq 0 ]
	[[ "$output" != *CHOWNED* ]]
	[[ "$output" != *MKNOD* ]]
}

@test "process: noNewPrivileges true/false" {
	update_config '.process.noNewPrivileges = true'
	set_cmd 'grep NoNewPrivs /proc/self/status'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 1 ]

	update_config '.process.noNewPrivileges = false'
	run_in_container
	[ "$status" -eq 0 ]
	[ "$(status_field NoNewPrivs)" = 0 ]
}

@test "process: rlimits lower than the host's (RLIMIT_NOFILE, RLIMIT_CORE)" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	set_cmd 'ulimit -n; ulimit -Hn; ulimit -c; grep "Max open files" /proc/self/limits'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 100 ]
	[ "${lines[1]}" = 200 ]
	[ "${lines[2]}" = 0 ]
	[[ "${lines[3]}" =~ Max\ open\ files\ +100\ +200 ]]
}

@test "process: an rlimit above the host's hard limit needs CAP_SYS_RESOURCE" {
	requires_cap CAP_SYS_RESOURCE
	hard=$(ulimit -Hn)
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $n, "hard": $n}]' --argjson n $((hard + 1000))
	set_cmd 'ulimit -Hn'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $((hard + 1000)) ]
}

@test "process: oomScoreAdj" {
	update_config '.process.oomScoreAdj = 500'
	set_cmd 'cat /proc/self/oom_score_adj'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 500 ]
}

@test "process: a negative oomScoreAdj needs CAP_SYS_RESOURCE" {
	requires_cap CAP_SYS_RESOURCE
	update_config '.process.oomScoreAdj = -500'
	set_cmd 'cat /proc/self/oom_score_adj'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = -500 ]
}

@test "process: hostname and domainname" {
	xrt_only "runc 1.1 ignores the domainname field"
	update_config '.hostname = "h1" | .domainname = "example.org"'
	set_cmd 'hostname; cat /proc/sys/kernel/domainname'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = h1 ]
	[ "${lines[1]}" = example.org ]
}

@test "process: sysctl in the container's net and ipc namespaces" {
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_shmmax=$(cat /proc/sys/kernel/shmmax)
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}'
	set_cmd 'cat /proc/sys/net/ipv4/ip_forward; cat /proc/sys/kernel/shmmax'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 123456789 ]
	# The host's values are untouched.
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
	[ "$(cat /proc/sys/kernel/shmmax)" = "$host_shmmax" ]
}

@test "process: sysctl of the host's namespace is refused" {
	# No network namespace: setting a net.* sysctl would change the host.
	update_config '.linux.namespaces |= map(select(.type != "network"))
		| .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	set_cmd 'true'
	run_in_container
	[ "$status" -ne 0 ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
	assert_no_leftovers
}

@test "process: personality LINUX32 gives i686" {
	xrt_only "runc 1.1 does not implement linux.personality"
	update_config '.linux.personality = {"domain": "LINUX32"}'
	set_cmd 'uname -m'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = i686 ]
}

@test "process: stdin is not a terminal without process.terminal" {
	set_cmd '[ -t 0 ] && echo TTY; [ -t 1 ] && echo TTY; echo done'
	run_in_container
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = done ]
}

@test "exec: a second process joins the running container" {
	set_cmd 'echo started > /tmp/started; while [ ! -e /go ]; do sleep 0.05; done'
	update_config '.hostname = "exec-box"'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/tmp/started"
	run xrt exec "$CID" sh -c 'hostname; cat /tmp/started; readlink /proc/self/ns/pid; readlink /proc/1/ns/pid; id -u'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-box ]
	[ "${lines[1]}" = started ]
	[ "${lines[2]}" = "${lines[3]}" ]
	[ "${lines[4]}" = 0 ]

	run xrt exec --user 1000:1000 --env FOO=bar --cwd /tmp "$CID" sh -c 'id -u; echo $FOO; pwd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = bar ]
	[ "${lines[2]}" = /tmp ]

	run xrt exec "$CID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "process: transparent huge pages are off for the waiting init only, the container gets the caller's setting" {
	grep -q '^THP_enabled:' /proc/self/status || skip "this kernel's /proc/PID/status has no THP_enabled"
	# A THP-always host (Debian's and RHEL's kernels) gave each waiting
	# `xrt init` 2 MiB or more of huge pages for the Go runtime's heap.
	set_cmd 'grep "^THP_enabled:" /proc/self/status; sleep 100'
	xrt_create c1
	[ "$status" -eq 0 ]
	local pid
	pid=$(state_field c1 pid)
	if ! is_runc; then
		run grep '^THP_enabled:' "/proc/$pid/status"
		[ "$output" = "THP_enabled:	0" ]
	fi
	xrt start c1
	local i
	for ((i = 0; i < 200; i++)); do
		grep -q '^THP_enabled:' "$DETACHED_LOG" && break
		sleep 0.05
	done
	cat "$DETACHED_LOG"
	grep -x 'THP_enabled:	1' "$DETACHED_LOG"
	run xrt exec c1 grep '^THP_enabled:' /proc/self/status
	[ "$status" -eq 0 ]
	[ "$output" = "THP_enabled:	1" ]
	xrt delete -f c1

	# A caller with THP off (a service's prctl) passes that on, as runc does.
	set_cmd 'grep "^THP_enabled:" /proc/self/status'
	CREATED_IDS+=(c2)
	run timeout -k 5 "$XRT_TIMEOUT" "$TESTBIN/nothp" "$XRT" --root "$ROOT" run --bundle "$BUNDLE" c2
	[ "$status" -eq 0 ]
	[ "$output" = "THP_enabled:	0" ]
}
