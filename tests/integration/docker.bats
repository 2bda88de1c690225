#!/usr/bin/env bats
# Docker as its users run it: Debian's dockerd (docker.io), started here
# with its own data root, exec root, pid file, socket and network
# namespace, no bridge and no firewall rules, and xrt added as the runtime
# "xrt" (behind the argv-logging wrapper); its client is the packaged
# /usr/bin/docker. The image is a busybox "docker save" archive built by
# tests/cmd/mkimage and loaded with docker load. The daemon, its
# containerd, shims, mounts and cgroups are removed at the end.

load ../helpers
load ../engines/lib

IMAGE=xrt-busybox:latest

setup_file() {
	xrt_setup_file
	DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
	DOCKER=${DOCKER:-/usr/bin/docker}
	local bin
	for bin in "$DOCKERD" "$DOCKER" containerd containerd-shim-runc-v2 nsenter script; do
		command -v "$bin" >/dev/null || {
			echo "$bin is needed (.ci/run installs docker.io)" >&2
			return 1
		}
	done
	# Short: unix socket paths are limited to 108 bytes.
	DK=/run/xrt-dk-$$
	CGP=xrt-dk-$$
	export DK CGP DOCKER DOCKERD
	mkdir -p "$DK"/{client,data,exec}
	# The trust key would go to /etc/docker otherwise.
	jq -n --arg k "$DK/key.json" '{"deprecated-key-path": $k}' >"$DK/daemon.json"
	engine_netns "$DK/netns"
	engine_wrapper "$DK/xrt" "$DK/argv.log"
	nsenter --net="$DK/netns" "$DOCKERD" --config-file "$DK/daemon.json" \
		--data-root "$DK/data" --exec-root "$DK/exec" --pidfile "$DK/dockerd.pid" \
		-H "unix://$DK/d.sock" --containerd-namespace xrt-dk --containerd-plugins-namespace xrt-dk-plugins \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$CGP" \
		--storage-driver overlay2 --add-runtime "xrt=$DK/xrt" --log-level warn \
		>"$DK/dockerd.log" 2>&1 &
	echo $! >"$DK/pid"
	local i ok=
	for i in $(seq 200); do
		if docker_ version >/dev/null 2>&1; then
			ok=1
			break
		fi
		kill -0 "$(cat "$DK/pid")" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		echo "dockerd did not come up:" >&2
		tail -n 30 "$DK/dockerd.log" >&2
		return 1
	fi
	echo "# engine: $("$DOCKERD" --version), runtime $XRT" >&3
	"$TESTBIN/mkimage" --archive docker --tag "$IMAGE" "$DK/busybox.tar" >&2
	docker_ load -i "$DK/busybox.tar" >&2
}

teardown_file() {
	[ -n "${DK:-}" ] && [ -d "$DK" ] || return 0
	local c
	if [ -S "$DK/d.sock" ]; then
		for c in $(docker_ ps -aq 2>/dev/null); do
			docker_ rm -f "$c" >/dev/null 2>&1 || true
		done
	fi
	if [ -f "$DK/pid" ]; then
		kill "$(cat "$DK/pid")" 2>/dev/null || true
		wait_pid_gone "$(cat "$DK/pid")" 20 || true
	fi
	# Its containerd and shims, if they outlived it.
	kill_pids_with_arg "$DK/"
	local r
	for r in "$DK"/exec/runtime-*/xrt-dk; do
		for c in $(ls "$r" 2>/dev/null); do
			"$XRT" --root "$r" delete -f "$c" >/dev/null 2>&1 || true
		done
	done
	rm_cgroups "$CGP"
	if ! umount_under "$DK"; then
		echo "teardown_file: mounts remain under $DK; not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$DK"
}

setup() {
	rm -f "$DK/fault"
}

teardown() {
	rm -f "$DK/fault"
}

# docker_ ARGS...: the packaged client on the private daemon.
docker_() {
	DOCKER_CONFIG=$DK/client timeout -k 5 90 "$DOCKER" -H "unix://$DK/d.sock" "$@"
}

# drun ARGS...: docker run with xrt, no network of its own.
drun() {
	docker_ run --runtime xrt --network none "$@"
}

# inspect_ ID FORMAT
inspect_() {
	docker_ inspect -f "$2" "$1"
}

# xrt_state ARGS...: xrt on the state root the shim gives it (dockerd
# 20.10 names it runtime-runc for every runc-like runtime).
xrt_state() {
	"$XRT" --root "$(echo "$DK"/exec/runtime-*/xrt-dk)" "$@"
}

@test "docker: run's exit codes (0, 3), stdout, -i, --rm, and the runtime is xrt" {
	run drun --name e0 "$IMAGE" sh -c 'echo hello; cat /proc/self/cgroup >/dev/null'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[ "$(inspect_ e0 '{{.State.ExitCode}} {{.HostConfig.Runtime}}')" = "0 xrt" ]
	run drun --name e3 "$IMAGE" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[ "$(inspect_ e3 '{{.State.ExitCode}} {{.State.Status}}')" = "3 exited" ]
	docker_ rm e0 e3

	run bash -c "echo piped-in | DOCKER_CONFIG=$DK/client $DOCKER -H unix://$DK/d.sock run --rm -i --runtime xrt --network none $IMAGE sh -c 'read l; echo got \$l'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "got piped-in" ]
	[ -z "$(docker_ ps -aq)" ]
	# The wrapper logged xrt's calls.
	grep -q "	create	" "$DK/argv.log"
}

@test "docker: run -t gets a terminal" {
	run timeout 60 script -qec "DOCKER_CONFIG=$DK/client $DOCKER -H unix://$DK/d.sock run --rm -t --runtime xrt --network none $IMAGE sh -c 'tty; [ -t 0 ] && echo stdin-tty; exit 6'" /dev/null
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *stdin-tty* ]]
}

@test "docker: --user, --read-only, --memory, --pids-limit, --cap-drop reach the container" {
	run drun --rm --user 1000:2000 --read-only --memory 64m --pids-limit 33 --cap-drop NET_RAW --cap-drop CHOWN "$IMAGE" sh -c '
		echo "ids $(id -u) $(id -g)"
		touch /rootfs-write 2>/dev/null && echo rootfs-writable || echo rootfs-readonly
		echo "mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
		echo "pids $(cat /sys/fs/cgroup/pids/pids.max)"
		grep CapBnd /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ids 1000 2000"* ]]
	[[ "$output" == *rootfs-readonly* ]]
	[[ "$output" == *"mem 67108864"* ]]
	[[ "$output" == *"pids 33"* ]]
	local bnd
	bnd=$(awk '/CapBnd/ {print $2}' <<<"$output")
	# Docker's default set less NET_RAW (13) and CHOWN (0); keeps KILL (5).
	(((16#$bnd >> 13) & 1)) && false
	(((16#$bnd >> 0) & 1)) && false
	(((16#$bnd >> 5) & 1))
}

@test "docker: a detached container: exec, logs, top, pause/unpause, stats, update, kill -s, restart, stop -t, rm" {
	run drun -d --name d1 --memory 64m "$IMAGE" sh -c 'trap "echo got-usr1" USR1; echo started; while :; do sleep 0.2; done'
	echo "$output"
	[ "$status" -eq 0 ]
	local id=$output pid
	pid=$(inspect_ d1 '{{.State.Pid}}')
	[ "$pid" -gt 0 ]
	# The shim ran the wrapper, so xrt, for it.
	grep -q "	create	.*	$id\$" "$DK/argv.log"
	[ "$(xrt_state state "$id" | jq -r .pid)" = "$pid" ]
	# The container's cgroup is under dockerd's cgroup parent.
	[ "$(cat "/sys/fs/cgroup/memory/$CGP/$id/memory.limit_in_bytes")" = 67108864 ]

	run docker_ exec d1 sh -c 'echo in-exec; exit 4'
	echo "$output"
	[ "$status" -eq 4 ]
	[ "$output" = in-exec ]
	run timeout 60 script -qec "DOCKER_CONFIG=$DK/client $DOCKER -H unix://$DK/d.sock exec -it d1 sh -c 'tty; exit 5'" /dev/null
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/"* ]]
	run docker_ exec -u 1000 d1 id -u
	[ "$output" = 1000 ]

	run docker_ logs d1
	[[ "$output" == *started* ]]

	run docker_ top d1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"while :"* ]]

	docker_ pause d1
	[ "$(inspect_ d1 '{{.State.Status}} {{.State.Paused}}')" = "paused true" ]
	[ "$(xrt_state state "$id" | jq -r .status)" = paused ]
	docker_ unpause d1
	[ "$(inspect_ d1 '{{.State.Status}} {{.State.Paused}}')" = "running false" ]

	run docker_ stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' d1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9.]+[KMG]i?B\ /\ 64MiB\ [1-9] ]]

	run docker_ update --memory 96m --memory-swap 192m --pids-limit 44 d1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "/sys/fs/cgroup/memory/$CGP/$id/memory.limit_in_bytes")" = 100663296 ]
	[ "$(cat "/sys/fs/cgroup/pids/$CGP/$id/pids.max")" = 44 ]

	docker_ kill -s USR1 d1
	local i
	for i in $(seq 50); do
		docker_ logs d1 2>&1 | grep -q got-usr1 && break
		sleep 0.1
	done
	docker_ logs d1 2>&1 | grep -q got-usr1
	[ "$(inspect_ d1 '{{.State.Running}}')" = true ]

	docker_ restart -t 1 d1
	[ "$(inspect_ d1 '{{.State.Running}} {{.RestartCount}}')" = "true 0" ]
	local pid2
	pid2=$(inspect_ d1 '{{.State.Pid}}')
	[ "$pid2" != "$pid" ]
	is_gone "$pid"

	# The shell is PID 1 and traps only USR1: TERM does nothing, so stop
	# kills after the grace period.
	local t0 t1
	t0=$(date +%s%N)
	docker_ stop -t 1 d1
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -ge 1000 ]
	[ "$(inspect_ d1 '{{.State.Status}} {{.State.ExitCode}}')" = "exited 137" ]
	docker_ rm d1
	is_gone "$pid2"
	[ -z "$(xrt_state list -q)" ]
	[ ! -d "/sys/fs/cgroup/memory/$CGP/$id" ]
}

@test "docker: kill reports 137" {
	docker_ run -d --runtime xrt --network none --name k1 "$IMAGE" sleep 100000
	docker_ kill k1
	[ "$(inspect_ k1 '{{.State.Status}} {{.State.ExitCode}}')" = "exited 137" ]
	docker_ rm k1
}

@test "docker: host network" {
	run docker_ run --rm --runtime xrt --network host "$IMAGE" readlink /proc/self/ns/net
	echo "$output"
	[ "$output" = "$(readlink /proc/"$(cat "$DK/pid")"/ns/net)" ]
}

@test "docker: bad input from the engine (rootfs gone, pid file's directory missing, console socket refusing): xrt's error in docker's output, nothing left" {
	engine_refusing_socket "$DK/refuse.sock"
	local f want tty
	for f in rootfs pidfile console; do
		case $f in
		rootfs) want=rootfs.vanished tty= ;;
		pidfile) want="pid file $DK/no-such-dir/init.pid" tty= ;;
		console) want=refuse.sock tty=-t ;;
		esac
		echo "$f" >"$DK/fault"
		# (not "run": docker's 127 would read as "command not found")
		status=0
		output=$(drun $tty --name "bad-$f" "$IMAGE" true 2>&1) || status=$?
		rm -f "$DK/fault"
		echo "$f: status $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$want"* ]]
		docker_ rm -f "bad-$f"
		[ -z "$(ls "$DK"/exec/runtime-*/xrt-dk 2>/dev/null)" ]
		[ -z "$(cgroups_left "$CGP")" ]
		[ -z "$(mounts_under "$DK/data/overlay2")" ]
		[ -z "$(mounts_under "$DK/exec/containerd")" ]
		[ -z "$(pids_with_arg "$DK/exec/containerd/daemon/io.containerd.runtime.v2.task/xrt-dk/")" ]
	done
}

@test "docker: every flag dockerd's shim sent xrt is in the capture argv.bats checks" {
	engine_check_argv docker "$DK/argv.log"
}
