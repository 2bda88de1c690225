#!/usr/bin/env bats
# A foreground "run" forwards the signals it gets to the container process,
# and exits with the container's status (128+N when a signal killed it).

load ../helpers

# signum NAME: the signal number (bash's kill -l).
signum() {
	kill -l "$1"
}

# start_fg: run the bundle in the foreground, in the background of the
# test; waits until the container wrote /ready.
start_fg() {
	xrt_run_bg "$BATS_TEST_TMPDIR/run.log" "$CID"
	wait_for_file "$BUNDLE/rootfs/ready"
}

# wait_fg: the foreground run's exit status in $rc.
wait_fg() {
	wait_bg "$BG_PID"
	cat "$BATS_TEST_TMPDIR/run.log"
	echo "rc=$rc"
}

@test "signals: run forwards SIGTERM, SIGUSR1 and SIGHUP to a trapping container process" {
	for sig in TERM USR1 HUP; do
		n=$(signum "$sig")
		rm -f "$BUNDLE/rootfs/ready" "$BUNDLE/rootfs/sig"
		set_cmd "trap 'echo $sig > /sig; exit $((128 + n))' $sig; touch /ready; while :; do sleep 0.05; done"
		start_fg
		kill -s "$sig" "$BG_PID"
		wait_fg
		[ "$(cat "$BUNDLE/rootfs/sig")" = "$sig" ]
		[ "$rc" -eq $((128 + n)) ]
		run xrt state "$CID"
		[ "$status" -eq 1 ]
	done
	assert_no_leftovers
}

@test "signals: run forwards the rest alike: USR2, ALRM, PIPE, CONT, PWR and real-time signals" {
	# Each arrives once, by number: the trap writes it, the process goes
	# on, and TERM ends it at last.
	nums=""
	for sig in USR2 ALRM PIPE CONT PWR RTMIN+1 RTMIN+3 RTMAX; do
		nums="$nums $(signum "$sig")"
	done
	traps=""
	for n in $nums; do
		traps="$traps trap 'echo $n >> /sig' $n;"
	done
	rm -f "$BUNDLE/rootfs/ready" "$BUNDLE/rootfs/sig"
	set_cmd "$traps trap 'exit 3' TERM; touch /ready; while :; do sleep 0.05; done"
	start_fg
	for n in $nums; do
		kill -s "$n" "$BG_PID"
		# One at a time: two pending signals reach a shell in any order.
		for _ in $(seq 100); do
			grep -qx "$n" "$BUNDLE/rootfs/sig" 2>/dev/null && break
			sleep 0.05
		done
	done
	kill -s TERM "$BG_PID"
	wait_fg
	[ "$rc" -eq 3 ]
	cat "$BUNDLE/rootfs/sig"
	[ "$(tr '\n' ' ' <"$BUNDLE/rootfs/sig")" = "${nums# } " ]
	assert_no_leftovers
}

@test "signals: a container process killed by a forwarded signal gives 128+N" {
	# Without a pid namespace the process is not an init, so a signal it
	# does not handle kills it (an init would ignore it).
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	for sig in TERM USR1 HUP; do
		n=$(signum "$sig")
		rm -f "$BUNDLE/rootfs/ready"
		set_cmd 'touch /ready; exec sleep 1000'
		start_fg
		# touch ran, exec may not have happened yet.
		sleep 0.2
		kill -s "$sig" "$BG_PID"
		wait_fg
		[ "$rc" -eq $((128 + n)) ]
	done
	assert_no_leftovers
}

@test "signals: an init without a handler ignores forwarded SIGTERM, SIGKILL via kill still works" {
	set_cmd 'touch /ready; while :; do sleep 0.05; done'
	start_fg
	kill -s TERM "$BG_PID"
	sleep 0.5
	# Still there: the kernel drops the signal for a pid-namespace init.
	[ "$(state_field "$CID" status)" = running ]
	kill -0 "$BG_PID"
	run xrt kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_fg
	[ "$rc" -eq 137 ]
}

@test "signals: SIGINT and SIGQUIT are forwarded too" {
	for sig in INT QUIT; do
		n=$(signum "$sig")
		rm -f "$BUNDLE/rootfs/ready" "$BUNDLE/rootfs/sig"
		set_cmd "trap 'echo $sig > /sig; exit 7' $sig; touch /ready; while :; do sleep 0.05; done"
		# bash starts background jobs with SIGINT/SIGQUIT ignored; undo
		# that (a Go runtime's signal.Notify would re-enable them anyway).
		CREATED_IDS+=("$CID")
		(
			trap - INT QUIT
			exec "$XRT" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.log" 2>&1
		) &
		BG_PID=$!
		BG_PIDS+=("$BG_PID")
		wait_for_file "$BUNDLE/rootfs/ready"
		kill -s "$sig" "$BG_PID"
		wait_fg
		[ "$(cat "$BUNDLE/rootfs/sig")" = "$sig" ]
		[ "$rc" -eq 7 ]
	done
}

# sig_field NAME STATUS-TEXT: the hex mask of /proc/PID/status's NAME line.
sig_field() {
	awk -v f="$1:" '$1 == f {print $2}' <<<"$2"
}

# check_sigs STATUS-TEXT: the container's process ignores no signal but
# some its caller ignored that xrt never takes (32, 33 and 34, which glibc
# and musl keep: bits 31 to 33; make ignores 32 and 33), and blocks what
# its caller blocked.
check_sigs() {
	local ign blk caller
	caller=$(cat /proc/self/status)
	ign=$(sig_field SigIgn "$1")
	blk=$(sig_field SigBlk "$1")
	[ -n "$ign" ] && [ -n "$blk" ]
	[ $((0x$ign & ~(0x$(sig_field SigIgn "$caller") & 0x380000000))) -eq 0 ]
	[ "$blk" = "$(sig_field SigBlk "$caller")" ]
}

@test "signals: the container's process ignores and blocks only what its caller did, though run and exec catch every signal (SIGPIPE too)" {
	# run and exec mark SIGPIPE ignored for the Go runtime's sake, then
	# catch it: a caught signal is reset to its default by execve, an
	# ignored one would be inherited by the container. (cat, not sh:
	# busybox sh -c ignores SIGQUIT itself.)
	set_args cat /proc/self/status
	run xrt run --bundle "$BUNDLE" "$CID"
	echo "$output" | grep '^Sig'
	[ "$status" -eq 0 ]
	check_sigs "$output"
	CID=$CID-exec
	set_args sleep 100
	run xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	run xrt exec "$CID" cat /proc/self/status
	echo "$output" | grep '^Sig'
	[ "$status" -eq 0 ]
	check_sigs "$output"
}
