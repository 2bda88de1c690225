#!/usr/bin/env bats
# Podman as its users run it: Debian's podman, rootful, with its own
# storage (graph root, run root), tmp dir, network config dir and
# containers.conf, conmon, the cgroupfs manager with a cgroup parent of our
# own, and xrt as the runtime (behind the argv-logging wrapper, named xrt
# so that runtime_supports_json lists it: podman then passes --log-format
# json and --log, and shows xrt's errors from that log). The image is a
# busybox "docker save" archive built by tests/cmd/mkimage and loaded with
# podman load. Containers use --network none or host; podman itself runs
# in a network namespace of the test's own.

load ../helpers
load ../engines/lib

IMAGE=localhost/xrt-busybox:latest

setup_file() {
	xrt_setup_file
	local bin
	for bin in podman conmon nsenter script; do
		command -v "$bin" >/dev/null || {
			echo "$bin is needed (.ci/run installs podman)" >&2
			return 1
		}
	done
	PD=/run/xrt-pd-$$
	CGP=xrt-pd-$$
	export PD CGP
	mkdir -p "$PD"/{net,tmp}
	# The SHM lock file podman makes if none is there: ours to remove then.
	[ -e /dev/shm/libpod_lock ] || touch "$PD/made-shm-lock"
	engine_netns "$PD/netns"
	engine_wrapper "$PD/xrt" "$PD/argv.log"
	cat >"$PD/containers.conf" <<-EOC
		[containers]
		netns = "none"
		# Podman raises these for root (nofile to 1048576); without
		# CAP_SYS_RESOURCE (this machine) no runtime may: stay below.
		default_ulimits = ["nofile=1024:$(ulimit -Hn)", "nproc=4096:4096"]
		[network]
		network_config_dir = "$PD/net"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PD/events.log"
		tmp_dir = "$PD/tmp"
		static_dir = "$PD/root/libpod"
		volume_path = "$PD/root/volumes"
		runtime = "xrt"
		runtime_supports_json = ["crun", "runc", "xrt"]
		[engine.runtimes]
		xrt = ["$PD/xrt"]
	EOC
	cat >"$PD/storage.conf" <<-EOC
		[storage]
		driver = "overlay"
		runroot = "$PD/run"
		graphroot = "$PD/root"
	EOC
	export CONTAINERS_CONF=$PD/containers.conf CONTAINERS_STORAGE_CONF=$PD/storage.conf
	run podman_ info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}} {{.Host.CgroupManager}}'
	if [ "$status" -ne 0 ]; then
		echo "podman does not work here: $output" >&2
		return 1
	fi
	echo "# engine: $(podman --version), $(conmon --version | head -n1), runtime $output ($XRT)" >&3
	[ "$output" = "xrt $PD/xrt cgroupfs" ]
	"$TESTBIN/mkimage" --archive docker --tag "$IMAGE" "$PD/busybox.tar" >&2
	podman_ load -i "$PD/busybox.tar" >&2
}

teardown_file() {
	[ -n "${PD:-}" ] && [ -d "$PD" ] || return 0
	export CONTAINERS_CONF=$PD/containers.conf CONTAINERS_STORAGE_CONF=$PD/storage.conf
	local c
	podman_ rm -af -t 0 >/dev/null 2>&1 || true
	# conmon and containers, if any outlived their removal.
	kill_pids_with_arg "$PD/"
	for c in $(ls "$PD/tmp/runtime-xrt" 2>/dev/null); do
		"$XRT" --root "$PD/tmp/runtime-xrt" delete -f "$c" >/dev/null 2>&1 || true
	done
	podman_ system reset -f >/dev/null 2>&1 || true
	rm_cgroups "$CGP"
	if ! umount_under "$PD"; then
		echo "teardown_file: mounts remain under $PD; not removing it" >&2
		return 1
	fi
	[ ! -e "$PD/made-shm-lock" ] || rm -f /dev/shm/libpod_lock
	rm -rf --one-file-system "$PD"
}

setup() {
	rm -f "$PD/fault"
}

teardown() {
	rm -f "$PD/fault"
}

# podman_ ARGS...: podman with this test's configuration, in its network
# namespace.
podman_() {
	timeout -k 5 90 nsenter --net="$PD/netns" podman "$@"
}

# prun ARGS...: podman run with no network of its own, in our cgroup parent.
prun() {
	podman_ run --network none --cgroup-parent "/$CGP" "$@"
}

# podman_tty 'ARGS': podman with a terminal (script(1)).
podman_tty() {
	timeout 60 script -qec "nsenter --net=$PD/netns podman $1" /dev/null
}

inspect_() {
	podman_ inspect -f "$2" "$1"
}

# assert_nothing_left: no container, no xrt state, no conmon, no mount of
# a container, no cgroup.
assert_nothing_left() {
	podman_ ps -a >&2
	[ -z "$(podman_ ps -aq)" ]
	[ -z "$(ls "$PD"/tmp/runtime-* 2>/dev/null)" ] || [ -z "$("$XRT" --root "$(echo "$PD"/tmp/runtime-*)" list -q)" ]
	[ -z "$(pids_with_arg "$PD/root/overlay-containers/")" ]
	[ -z "$(mounts_under "$PD/root/overlay")" ]
	[ -z "$(cgroups_left "$CGP" | grep -v '/conmon$')" ]
}

@test "podman: run --rm, exit codes, -i, and the runtime is xrt" {
	run prun --rm "$IMAGE" sh -c 'echo hello; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$output" = hello ]
	run prun --name e0 "$IMAGE" true
	[ "$status" -eq 0 ]
	[ "$(inspect_ e0 '{{.State.ExitCode}} {{.OCIRuntime}}')" = "0 xrt" ]
	podman_ rm e0
	run bash -c "echo piped-in | nsenter --net=$PD/netns podman run --rm -i --network none --cgroup-parent /$CGP $IMAGE sh -c 'read l; echo got \$l'"
	echo "$output"
	[ "$output" = "got piped-in" ]
	grep -q "	create	" "$PD/argv.log"
	# Podman knows xrt speaks JSON logs: it passes --log-format json.
	grep "	create	" "$PD/argv.log" | head -n 1
	grep "	create	" "$PD/argv.log" | grep -qE -- "--log-format(=|	)json	"
	grep "	create	" "$PD/argv.log" | grep -qE -- "--log(=|	)/"

	assert_nothing_left
}

@test "podman: run -t and exec -t get a terminal" {
	run podman_tty "run --rm -t --network none --cgroup-parent /$CGP $IMAGE sh -c 'tty; exit 6'"
	echo "$output"
	[ "$status" -eq 6 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	prun -d --name t1 "$IMAGE" sleep 100000
	run podman_tty "exec -t t1 sh -c 'tty; [ -t 0 ] && echo stdin-tty; exit 5'"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/"* ]]
	podman_ rm -f -t 0 t1
	assert_nothing_left
}

@test "podman: --user, --read-only, --memory, --pids-limit, --cap-drop reach the container" {
	run prun --rm --user 1000:2000 --read-only --memory 64m --pids-limit 33 --cap-drop NET_RAW --cap-drop CHOWN "$IMAGE" sh -c '
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
	(((16#$bnd >> 13) & 1)) && false
	(((16#$bnd >> 0) & 1)) && false
	(((16#$bnd >> 5) & 1))
}

@test "podman: a detached container: exec, logs, top, pause/unpause, stats, update, kill -s, restart, stop -t, rm" {
	run prun -d --name d1 --memory 64m "$IMAGE" sh -c 'trap "echo got-usr1" USR1; echo started; while :; do sleep 0.2; done'
	echo "$output"
	[ "$status" -eq 0 ]
	local id=$output pid
	pid=$(inspect_ d1 '{{.State.Pid}}')
	[ "$pid" -gt 0 ]
	grep -q "	create	.*	$id\$" "$PD/argv.log"
	local mem
	mem=/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' "/proc/$pid/cgroup")
	[[ "$mem" == "/sys/fs/cgroup/memory/$CGP/"* ]]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]

	run podman_ exec d1 sh -c 'echo in-exec; exit 4'
	echo "$output"
	[ "$status" -eq 4 ]
	[ "$output" = in-exec ]
	run podman_ exec -u 1000 d1 id -u
	[ "$output" = 1000 ]
	run podman_ logs d1
	[[ "$output" == *started* ]]
	run podman_ top d1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"while :"* ]]

	podman_ pause d1
	[ "$(inspect_ d1 '{{.State.Status}}')" = paused ]
	podman_ unpause d1
	[ "$(inspect_ d1 '{{.State.Status}}')" = running ]

	run podman_ stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' d1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ [0-9.]+[kKMG]i?B\ /\ 67.11MB\ [1-9] ]]

	run podman_ update --memory 96m d1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$mem/memory.limit_in_bytes")" = 100663296 ]

	podman_ kill -s USR1 d1
	local i
	for i in $(seq 50); do
		podman_ logs d1 2>&1 | grep -q got-usr1 && break
		sleep 0.1
	done
	podman_ logs d1 2>&1 | grep -q got-usr1
	[ "$(inspect_ d1 '{{.State.Running}}')" = true ]

	podman_ restart -t 1 d1
	[ "$(inspect_ d1 '{{.State.Running}}')" = true ]
	local pid2
	pid2=$(inspect_ d1 '{{.State.Pid}}')
	[ "$pid2" != "$pid" ]
	is_gone "$pid"

	local t0 t1
	t0=$(date +%s%N)
	podman_ stop -t 1 d1
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -ge 1000 ]
	[ "$(inspect_ d1 '{{.State.Status}} {{.State.ExitCode}}')" = "exited 137" ]
	podman_ rm d1
	is_gone "$pid2"

	prun -d --name k1 "$IMAGE" sleep 100000
	podman_ kill k1
	podman_ wait k1 || true
	[ "$(inspect_ k1 '{{.State.Status}} {{.State.ExitCode}}')" = "exited 137" ]
	podman_ rm k1
	assert_nothing_left
}

@test "podman: host network" {
	run podman_ run --rm --network host --cgroup-parent "/$CGP" "$IMAGE" readlink /proc/self/ns/net
	echo "$output"
	[ "$output" = "$(readlink "$PD/netns" 2>/dev/null || echo "net:[$(ns_inode "$PD/netns")]")" ]
}

@test "podman: bad input (rootfs gone, pid file's directory missing, console socket refusing): xrt's error in podman's output, nothing left" {
	engine_refusing_socket "$PD/refuse.sock"
	local f want tty
	for f in rootfs pidfile console; do
		case $f in
		rootfs) want=rootfs.vanished tty= ;;
		pidfile) want="pid file $PD/no-such-dir/init.pid" tty=-t ;;
		console) want=refuse.sock tty=-t ;;
		esac
		echo "$f" >"$PD/fault"
		status=0
		output=$(prun $tty --name "bad-$f" "$IMAGE" true 2>&1) || status=$?
		rm -f "$PD/fault"
		echo "$f: status $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$want"* ]]
		podman_ rm -f "bad-$f"
		assert_nothing_left
	done
}

@test "podman: every flag podman and conmon sent xrt is in the capture argv.bats checks" {
	engine_check_argv podman "$PD/argv.log"
}
