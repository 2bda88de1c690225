#!/usr/bin/env bats
# Terminals: process.terminal with --console-socket (the pty master goes to
# the socket; tests/cmd/recvtty plays the engine), the container's view of
# the pty (tty, /dev/console, consoleSize, stdio), exec -t, and foreground
# run/exec on the caller's own terminal (under script(1)).

load ../helpers

# Each process sleeps a moment after its last output before it exits: once
# the pty's slave side hangs up, the kernel may drop output not yet pushed
# to the master, and the reader sees EIO early (a rare flake in CI).

setup_file() {
	xrt_setup_file
	# recvtty is built from the tree (tests/bin is not part of it); an
	# existing tests/bin/recvtty is used when there is no Go toolchain.
	local root=$BATS_TEST_DIRNAME/../.. go
	go=$(command -v go || echo /usr/local/go/bin/go)
	if [ -x "$go" ] && (cd "$root" && "$go" build -o "$BATS_FILE_TMPDIR/recvtty" ./tests/cmd/recvtty) >&2; then
		:
	elif [ -x "$root/tests/bin/recvtty" ]; then
		cp "$root/tests/bin/recvtty" "$BATS_FILE_TMPDIR/recvtty"
	fi
}

setup() {
	xrt_setup
	RECVTTY=$BATS_FILE_TMPDIR/recvtty
	if [ ! -x "$RECVTTY" ]; then
		skip "recvtty could not be built (no Go toolchain) and tests/bin/recvtty is missing"
	fi
}

# start_recvtty NAME [INPUT]: a recvtty serving one connection on
# $BATS_TEST_TMPDIR/NAME.sock; what the pty shows goes to NAME.out, the
# pty's name to NAME.err.  Sets SOCK and RECV_PID.
start_recvtty() {
	local name=$1 input=${2:-}
	SOCK=$BATS_TEST_TMPDIR/$name.sock
	local args=(--once --timeout 30s --output "$BATS_TEST_TMPDIR/$name.out")
	if [ -n "$input" ]; then
		args+=(--input "$input")
	fi
	"$RECVTTY" "${args[@]}" "$SOCK" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/$name.err" &
	RECV_PID=$!
	BG_PIDS+=("$RECV_PID")
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCK" ] && return 0
		sleep 0.05
	done
	echo "recvtty did not listen on $SOCK" >&2
	return 1
}

# tty_output NAME: NAME.out without the terminal's carriage returns, in
# $output and $lines.
tty_output() {
	output=$(tr -d '\r' <"$BATS_TEST_TMPDIR/$1.out")
	mapfile -t lines <<<"$output"
	echo "--- $1.out:"
	echo "$output"
}

# in_script CMD...: run CMD (the runtime under test, with this test's
# --root) on a fresh pty under script(1), its stdin fed by a pipe that
# stays open for a while; sets status and output (carriage returns
# removed).  INPUT (a line, optional) is written to the pty after 1s.
in_script() {
	local cmd
	if ! command -v script >/dev/null; then
		skip "script(1) (bsdutils) is not installed"
	fi
	cmd="$(printf '%q ' "$XRT" --root "$ROOT" "$@")"
	status=0
	{
		sleep 1
		if [ -n "${INPUT:-}" ]; then echo "$INPUT"; fi
		sleep 3
	} | timeout -k 5 30 script -qec "$cmd" /dev/null >"$BATS_TEST_TMPDIR/script.out" 2>&1 || status=$?
	output=$(tr -d '\r' <"$BATS_TEST_TMPDIR/script.out")
	mapfile -t lines <<<"$output"
	echo "--- script (status $status):"
	echo "$output"
}

@test "terminal: create --console-socket + start: the process runs on a pty (tty, /dev/console, consoleSize, stdio)" {
	update_config '.process.terminal = true | .process.consoleSize = {"height": 25, "width": 100}'
	set_cmd 'tty; stat -c "%F %t:%T" /dev/console; stty size
		[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo stdio-is-tty
		ls /dev/pts | tr "\n" " "; echo; sleep 0.3'
	start_recvtty init
	xrt_create --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" status)" = created ]
	run xrt start "$CID"
	[ "$status" -eq 0 ]
	wait_bg "$RECV_PID"
	[ "$rc" -eq 0 ]
	tty_output init
	[ "${lines[0]}" = /dev/pts/0 ]
	# /dev/console is the pty: char device 136:0 (hex 88:0).
	[ "${lines[1]}" = "character special file 88:0" ]
	[ "${lines[2]}" = "25 100" ]
	[ "${lines[3]}" = stdio-is-tty ]
	# The container's own devpts instance: only its pty.
	[ "${lines[4]}" = "0 ptmx " ]
	wait_for_state "$CID" stopped
}

@test "terminal: input written to the pty master reaches the process (run -d --console-socket)" {
	update_config '.process.terminal = true'
	set_cmd 'read line; echo "got:[$line]"; sleep 0.3'
	start_recvtty init $'hello there\n'
	xrt_run_d --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	wait_bg "$RECV_PID"
	[ "$rc" -eq 0 ]
	tty_output init
	# The terminal echoes the input, then the process answers.
	[[ "$output" == *"got:[hello there]"* ]]
	wait_for_state "$CID" stopped
	run xrt delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers
}

@test "terminal: a pty received by the engine survives the runtime: the process keeps it after create returns" {
	update_config '.process.terminal = true'
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done; echo "after-go $(tty)"; sleep 0.3'
	start_recvtty init
	xrt_run_d --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	pid=$(state_field "$CID" pid)
	# The init's stdio is the pty (host view: a /dev/pts path of the
	# container's devpts, not the runtime's stdio).
	[[ "$(readlink "/proc/$pid/fd/0")" == /dev/pts/0 ]]
	[[ "$(readlink "/proc/$pid/fd/1")" == /dev/pts/0 ]]
	touch "$BUNDLE/rootfs/go"
	wait_bg "$RECV_PID"
	[ "$rc" -eq 0 ]
	tty_output init
	[[ "$output" == *"after-go /dev/pts/0"* ]]
}

@test "terminal: process.terminal without --console-socket fails at create and leaves nothing" {
	update_config '.process.terminal = true'
	xrt_create "$CID"
	echo "$output"
	[ "$status" -eq 1 ]
	if is_runc; then
		[[ "$output" == *"without setting console socket"* ]]
	else
		[[ "$output" == *"no --console-socket"* ]]
	fi
	run xrt state "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers

	# run -d is detached too: the same.
	xrt_run_d "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers
}

@test "terminal: a console socket nobody listens on fails at create and leaves nothing" {
	update_config '.process.terminal = true'
	xrt_create --console-socket "$BATS_TEST_TMPDIR/nobody.sock" "$CID"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *nobody.sock* ]]
	assert_no_leftovers
}

@test "terminal: exec -d -t --console-socket gives the process its own pty" {
	update_config '.process.terminal = true'
	set_cmd 'tty > /init.tty; while [ ! -e /go ]; do sleep 0.05; done'
	start_recvtty init
	xrt_run_d --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	wait_for_file "$BUNDLE/rootfs/init.tty"
	init_tty=$(cat "$BUNDLE/rootfs/init.tty")
	[ "$init_tty" = /dev/pts/0 ]

	start_recvtty exec $'typed\n'
	xrt_detached exec -d -t --console-socket "$SOCK" --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" \
		sh -c "tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-tty; read l; echo \"got:[\$l]\"; sleep 0.3"
	[ "$status" -eq 0 ]
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	wait_bg "$RECV_PID"
	[ "$rc" -eq 0 ]
	tty_output exec
	[[ "$output" == *"got:[typed]"* ]]
	[[ "$output" == *stdio-is-tty* ]]
	exec_tty=$(grep -m1 '^/dev/pts/' <<<"$output")
	[[ "$exec_tty" =~ ^/dev/pts/[0-9]+$ ]]
	[ "$exec_tty" != "$init_tty" ]
	wait_pid_gone "$epid"
	# The init's terminal is untouched and the container still runs.
	[ "$(state_field "$CID" status)" = running ]
	touch "$BUNDLE/rootfs/go"
	wait_for_state "$CID" stopped
}

@test "terminal: foreground exec -t --console-socket returns the process's exit code" {
	xrt_only "runc refuses a console socket without --detach"
	set_cmd 'exec sleep 100000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	start_recvtty exec
	run xrt exec -t --console-socket "$SOCK" "$CID" sh -c "tty; sleep 0.3; exit 5"
	[ "$status" -eq 5 ]
	wait_bg "$RECV_PID"
	[ "$rc" -eq 0 ]
	tty_output exec
	[ "${lines[0]}" = /dev/pts/0 ]
}

@test "terminal: foreground run with process.terminal and no socket uses a pty of its own (under script)" {
	update_config '.process.terminal = true'
	set_cmd 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo stdio-is-tty; read l; echo "got:[$l]"; sleep 0.3; exit 4'
	CREATED_IDS+=("$CID")
	INPUT=hello in_script run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *stdio-is-tty* ]]
	[[ "$output" == *"got:[hello]"* ]]
	# A foreground run deletes the container.
	run xrt state "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers
}

@test "terminal: foreground run whose output's reader goes keeps going (EPIPE, not SIGPIPE), returns the status and deletes" {
	# xrt writes the pty's output to its stdout: head exits after the
	# first line, the next write fails, and xrt must not die of it (it
	# would leave the container behind), as runc does not.
	update_config '.process.terminal = true'
	set_cmd 'echo one; sleep 0.5; echo two; sleep 0.2; echo three; exit 3'
	CREATED_IDS+=("$CID")
	run bash -c '"$1" --root "$2" run --bundle "$3" "$4" </dev/null | head -n1; echo "rc=${PIPESTATUS[0]}"' _ "$XRT" "$ROOT" "$BUNDLE" "$CID"
	echo "$output"
	[[ "$output" == *one*"rc=3"* ]]
	run xrt state "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers
}

@test "terminal: foreground run proxies the pty as a pipe reads, no CR before LF from the first line" {
	# runc's suite reads such output line by line (run.bats): the pty's
	# NL to CR NL translation is off before the process writes anything.
	# A process that writes at once, ten times: when it can start before
	# create has set the pty up, it writes first in about one run of six.
	update_config '.process.terminal = true'
	set_args echo one
	CREATED_IDS+=("$CID")
	local i
	for i in $(seq 10); do
		run xrt run --bundle "$BUNDLE" "$CID" </dev/null
		[ "$status" -eq 0 ]
		[ "$output" = one ]
	done
	assert_no_leftovers
}

@test "terminal: foreground run with process.terminal, killed by a signal: 128+N" {
	# Without a pid namespace: a namespace's init cannot kill itself.
	update_config '.process.terminal = true | .linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'kill -KILL $$'
	CREATED_IDS+=("$CID")
	in_script run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 137 ]
	assert_no_leftovers
}

@test "terminal: foreground exec -t without a socket, on the caller's terminal (under script)" {
	set_cmd 'exec sleep 100000'
	xrt_run_d "$CID"
	[ "$status" -eq 0 ]
	INPUT=typed in_script exec -t "$CID" sh -c 'tty; [ -t 0 ] && echo stdin-is-tty; read l; echo "got:[$l]"; sleep 0.3; exit 6'
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *stdin-is-tty* ]]
	[[ "$output" == *"got:[typed]"* ]]

}
