#!/usr/bin/env bats
# systemd's ways of talking to a service, through the runtime: socket
# activation (LISTEN_FDS/LISTEN_PID: the listening fds go on to the
# container, LISTEN_PID=1) and sd_notify (NOTIFY_SOCKET: the container's
# READY=1 reaches the caller's socket with MAINPID set to the init's pid).
# tests/cmd/sdnotify plays systemd and sd_notify(3).

load ../helpers

setup() {
	xrt_setup
	[ -x "$TESTBIN/sdnotify" ] || skip "tests/bin/sdnotify missing: run 'make testbin'"
}

@test "LISTEN_FDS: the activation fds go on from fd 3, before --preserve-fds, with LISTEN_PID=1" {
	echo listen-data >"$BATS_TEST_TMPDIR/listen"
	echo preserved-data >"$BATS_TEST_TMPDIR/preserved"
	set_cmd 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; cat <&3; cat <&4; ls /proc/self/fd | sort -n | tr "\n" " "'
	run timeout 30 bash -c 'exec 3<"$1" 4<"$2"; export LISTEN_FDS=1 LISTEN_PID=$$; exec "$XRT" --root "$3" run --preserve-fds 1 -b "$4" "$5"' \
		_ "$BATS_TEST_TMPDIR/listen" "$BATS_TEST_TMPDIR/preserved" "$ROOT" "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fds=1 pid=1" ]
	[ "${lines[1]}" = listen-data ]
	[ "${lines[2]}" = preserved-data ]
	# ls's own directory fd is the last one.
	[[ "${lines[3]}" == "0 1 2 3 4 5 " ]]
}

@test "LISTEN_FDS meant for another process is not passed on" {
	echo listen-data >"$BATS_TEST_TMPDIR/listen"
	set_cmd 'echo "fds=${LISTEN_FDS:-none}"; ls /proc/self/fd | sort -n | tr "\n" " "'
	run timeout 30 bash -c 'exec 3<"$1"; export LISTEN_FDS=1 LISTEN_PID=1; exec "$XRT" --root "$2" run -b "$3" "$4"' \
		_ "$BATS_TEST_TMPDIR/listen" "$ROOT" "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fds=none" ]
	[ "${lines[1]}" = "0 1 2 3 " ]
}

# listen_notify N: start the fake systemd socket; its output goes to
# $BATS_TEST_TMPDIR/notify.out.
listen_notify() {
	NOTIFY=$BATS_TEST_TMPDIR/systemd-notify.sock
	"$TESTBIN/sdnotify" listen "$NOTIFY" "$1" >"$BATS_TEST_TMPDIR/notify.out" 2>&1 &
	LISTENER=$!
	BG_PIDS+=("$LISTENER")
	wait_for_file "$NOTIFY"
	cp "$TESTBIN/sdnotify" "$BUNDLE/rootfs/bin/sdnotify"
}

@test "NOTIFY_SOCKET: start returns after READY=1, which reaches the host with the init's MAINPID" {
	xrt_only "runc 1.1 sends READY=1 and MAINPID as two datagrams, xrt one, and mounts the socket elsewhere"
	listen_notify 2
	set_cmd 'sdnotify send "STATUS=warming up"; sleep 0.3; sdnotify send "READY=1
MAINPID=1"; exec sleep 1000'
	NOTIFY_SOCKET=$NOTIFY xrt_create "$CID"
	[ "$status" -eq 0 ]
	run xrt exec "$CID" sh -c 'echo $NOTIFY_SOCKET; grep -c " /run/notify " /proc/self/mountinfo'
	[ "${lines[0]}" = /run/notify/notify.sock ]
	[ "${lines[1]}" = 1 ]
	NOTIFY_SOCKET=$NOTIFY run xrt start "$CID"
	echo "start: $status $output"
	[ "$status" -eq 0 ]
	wait_bg "$LISTENER" 10
	cat "$BATS_TEST_TMPDIR/notify.out"
	local pid
	pid=$(state_field "$CID" pid)
	[ "$(sed -n 1p "$BATS_TEST_TMPDIR/notify.out")" = "STATUS=warming up|MAINPID=$pid" ]
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/notify.out")" = "READY=1|MAINPID=$pid" ]
	[ "$(state_field "$CID" status)" = running ]
}

@test "NOTIFY_SOCKET: a container that exits without READY=1 does not hang start" {
	listen_notify 1
	set_cmd 'true'
	NOTIFY_SOCKET=$NOTIFY xrt_create "$CID"
	[ "$status" -eq 0 ]
	NOTIFY_SOCKET=$NOTIFY run xrt start "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for_state "$CID" stopped
}

@test "NOTIFY_SOCKET: run -d forwards READY=1 too" {
	xrt_only "runc 1.1 sends READY=1 and MAINPID as two datagrams, xrt one"
	listen_notify 1
	set_cmd 'sdnotify send READY=1; exec sleep 1000'
	NOTIFY_SOCKET=$NOTIFY xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	wait_bg "$LISTENER" 10
	cat "$BATS_TEST_TMPDIR/notify.out"
	[ "$(cat "$BATS_TEST_TMPDIR/notify.out")" = "READY=1|MAINPID=$(state_field "$CID" pid)" ]
}
