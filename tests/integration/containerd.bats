#!/usr/bin/env bats
# xrt under a real engine: containerd (its runc shim, io.containerd.runc.v2)
# runs xrt as its runc binary (ctr run --runc-binary).  containerd runs
# with a private configuration (own root, state and socket, CRI disabled),
# the image is a busybox OCI archive built by tests/cmd/mkimage and
# imported, and everything is removed at the end: tasks, containers, the
# daemon, its mounts and the cgroups made for the containerd namespace.

load ../helpers

NS=xrt-e2e
IMAGE=docker.io/library/xrt-busybox:latest

setup_file() {
	xrt_setup_file
	if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null || ! command -v containerd-shim-runc-v2 >/dev/null; then
		skip "containerd, ctr and containerd-shim-runc-v2 are needed (apt-get install containerd)"
	fi
	[ -x "$TESTBIN/mkimage" ] || skip "tests/bin/mkimage missing: run 'make testbin'"
	# A short path: unix socket names are limited to 108 bytes.
	CTRD=/run/xrt-ctrd-$$
	export CTRD
	mkdir -p "$CTRD"
	cat >"$CTRD/config.toml" <<-EOC
		version = 2
		root = "$CTRD/root"
		state = "$CTRD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTRD/c.sock"
		[ttrpc]
		  address = "$CTRD/c.sock.ttrpc"
		[debug]
		  address = "$CTRD/debug.sock"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$CTRD/opt"
	EOC
	containerd --config "$CTRD/config.toml" >"$CTRD/containerd.log" 2>&1 &
	echo $! >"$CTRD/pid"
	local i
	for i in $(seq 100); do
		ctr -a "$CTRD/c.sock" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	echo "# engine: $(containerd --version), shim io.containerd.runc.v2, runtime $XRT" >&3
	"$TESTBIN/mkimage" --archive oci "$CTRD/busybox.tar" >&2
	ctr -a "$CTRD/c.sock" -n "$NS" images import --base-name "${IMAGE%:*}" "$CTRD/busybox.tar" >&2
}

teardown_file() {
	[ -n "${CTRD:-}" ] && [ -d "$CTRD" ] || return 0
	local t c d m
	if [ -S "$CTRD/c.sock" ]; then
		for t in $(ctr_ task ls -q 2>/dev/null); do
			ctr_ task kill -s SIGKILL "$t" >/dev/null 2>&1 || true
			sleep 0.2
			ctr_ task delete -f "$t" >/dev/null 2>&1 || true
		done
		for c in $(ctr_ containers ls -q 2>/dev/null); do
			ctr_ containers delete "$c" >/dev/null 2>&1 || true
		done
	fi
	if [ -f "$CTRD/pid" ]; then
		kill "$(cat "$CTRD/pid")" 2>/dev/null || true
		wait_pid_gone "$(cat "$CTRD/pid")" 10 || true
	fi
	# Shims of this daemon that outlived it (found by their socket address).
	for d in $(grep -l -- "$CTRD/c.sock" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
		kill -KILL "$d" 2>/dev/null || true
	done
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/unified/"$NS"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	m=$(mounts_under "$CTRD")
	for d in $(sort -r <<<"$m"); do
		umount -l "$d" || true
	done
	if [ -n "$(mounts_under "$CTRD")" ]; then
		echo "teardown_file: mounts remain under $CTRD; not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$CTRD"
}

# ctr_ ARGS...: ctr on the private daemon and namespace, time-limited.
ctr_() {
	timeout -k 5 60 ctr -a "$CTRD/c.sock" -n "$NS" "$@"
}

# ctr_run ARGS...: ctr run with xrt as the runc binary.
ctr_run() {
	local opts=()
	while [[ "${1:-}" == -* ]]; do
		opts+=("$1")
		shift
	done
	ctr_ run "${opts[@]}" --runc-binary "$XRT" --runc-root "$CTRD/xrt" "$IMAGE" "$@"
}

# task_status ID: the task's status as ctr task ls shows it.
task_status() {
	ctr_ task ls | awk -v id="$1" '$1 == id {print $3}'
}

@test "containerd: ctr run echoes and returns the container's exit code" {
	run ctr_run --rm e1 sh -c 'echo hello; echo "pid=$$"; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = pid=1 ]
	[ -z "$(ctr_ containers ls -q)" ]
	# The shim ran xrt: its state root holds xrt's state.
	[ -d "$CTRD/xrt/$NS" ]
}

@test "containerd: a detached task, exec with and without a tty, pause/resume, ps, kill, delete" {
	run ctr_run -d e2 sleep 100000
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(task_status e2)" = RUNNING ]
	local pid
	pid=$(ctr_ task ls | awk '$1 == "e2" {print $2}')
	[ -n "$pid" ]
	# xrt's own view of the container agrees.
	[ "$("$XRT" --root "$CTRD/xrt/$NS" state e2 | jq -r .pid)" = "$pid" ]

	run ctr_ task exec --exec-id x1 e2 sh -c 'echo in-exec; exit 4'
	echo "$output"
	[ "$status" -eq 4 ]
	[ "$output" = in-exec ]

	# ctr exec -t needs a terminal: script(1) gives it one.
	run timeout 60 script -qec "ctr -a $CTRD/c.sock -n $NS task exec -t --exec-id x2 e2 sh -c 'tty; exit 5'" /dev/null
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/"* ]]

	run ctr_ task pause e2
	[ "$status" -eq 0 ]
	[ "$(task_status e2)" = PAUSED ]
	run ctr_ task resume e2
	[ "$status" -eq 0 ]
	[ "$(task_status e2)" = RUNNING ]

	run ctr_ task ps e2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]

	# The sleep is pid 1 of its namespace: only SIGKILL ends it.
	run ctr_ task kill -s SIGKILL e2
	[ "$status" -eq 0 ]
	local i
	for i in $(seq 50); do
		[ "$(task_status e2)" = STOPPED ] && break
		sleep 0.1
	done
	[ "$(task_status e2)" = STOPPED ]
	run ctr_ task delete e2
	echo "$output"
	[ "$status" -eq 0 ]
	run ctr_ containers delete e2
	[ "$status" -eq 0 ]
	is_gone "$pid"
	[ -z "$("$XRT" --root "$CTRD/xrt/$NS" list -q)" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name e2 -path "*/$NS/*")" ]
}

# criu_works: whether CRIU can checkpoint on this kernel (not on 6.18 with
# Debian's 3.17: this test runs in the v2 guest, tests/v2/run.sh).
criu_works() {
	command -v criu >/dev/null && criu check >/dev/null 2>&1 && command -v iptables-restore >/dev/null
}

@test "containerd: ctr task checkpoint, then ctr container checkpoint and restore of an xrt task: the counter goes on" {
	criu_works || skip "CRIU cannot checkpoint here ($(uname -r)): run it in the v2 guest (V2_BATS=containerd.bats:checkpoint make test-v2)"
	local pid c1 i dir=$BATS_TEST_TMPDIR/ckpt
	# /count in the task's rootfs (its rw snapshot), read through its root.
	run ctr_run -d e3 sh -c 'echo start >>/starts; i=0; while :; do i=$((i+1)); echo $i >/count; sleep 0.2; done'
	echo "$output"
	[ "$status" -eq 0 ]
	pid=$(ctr_ task ls | awk '$1 == "e3" {print $2}')
	count3() { cat "/proc/$pid/root/count" 2>/dev/null || echo 0; }
	for ((i = 0; i < 300; i++)); do
		[ "$(count3)" -gt 2 ] && break
		sleep 0.1
	done
	[ "$(count3)" -gt 2 ]

	# ctr task checkpoint: the shim runs `xrt checkpoint`, CRIU's images
	# go to the directory; the task runs on.
	run ctr_ task checkpoint --image-path "$dir" e3
	echo "$output"
	[ "$status" -eq 0 ]
	[ -e "$dir/inventory.img" ]
	[ "$(task_status e3)" = RUNNING ]

	# A checkpoint image with the task and its rw layer, then the task and
	# container go, and ctr container restore --live brings them back.
	run ctr_ container checkpoint --task --rw e3 xrt-ckpt/e3:1
	echo "$output"
	[ "$status" -eq 0 ]
	c1=$(count3)
	run ctr_ task kill -s SIGKILL e3
	for ((i = 0; i < 100; i++)); do
		[ "$(task_status e3)" = STOPPED ] && break
		sleep 0.1
	done
	run ctr_ task delete e3
	run ctr_ container delete e3
	[ "$status" -eq 0 ]
	[ -z "$("$XRT" --root "$CTRD/xrt/$NS" list -q)" ]

	# restore waits for the task, as ctr run does: in the background.
	timeout -k 5 600 ctr -a "$CTRD/c.sock" -n "$NS" container restore --live --rw e3 xrt-ckpt/e3:1 </dev/null >"$BATS_TEST_TMPDIR/restore.out" 2>&1 3>&- &
	local rpid=$!
	for ((i = 0; i < 600; i++)); do
		[ "$(task_status e3)" = RUNNING ] && break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/restore.out"
	[ "$(task_status e3)" = RUNNING ]
	pid=$(ctr_ task ls | awk '$1 == "e3" {print $2}')
	# xrt runs it: its state agrees; the counter goes on from the
	# checkpoint, in the same program (started once).
	[ "$("$XRT" --root "$CTRD/xrt/$NS" state e3 | jq -r .pid)" = "$pid" ]
	for ((i = 0; i < 300; i++)); do
		[ "$(count3)" -gt "$c1" ] && break
		sleep 0.1
	done
	[ "$(count3)" -gt "$c1" ]
	[ "$(wc -l <"/proc/$pid/root/starts")" -eq 1 ]

	run ctr_ task kill -s SIGKILL e3
	for ((i = 0; i < 100; i++)); do
		[ "$(task_status e3)" = STOPPED ] && break
		sleep 0.1
	done
	wait "$rpid" || true # ctr restore returns with the task
	run ctr_ task delete e3
	run ctr_ container delete e3
	[ "$status" -eq 0 ]
	run ctr_ image rm xrt-ckpt/e3:1
	[ -z "$("$XRT" --root "$CTRD/xrt/$NS" list -q)" ]
}
